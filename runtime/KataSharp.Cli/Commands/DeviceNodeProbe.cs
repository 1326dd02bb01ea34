namespace KataSharp.Cli.Commands;

/// <summary>
/// Whether a device node opens read-write, and if not, why and what to do: the one check behind `katasharp check`'s
/// /dev/kvm and /dev/vhost-net lines (each gives its own wording for the fix).
/// </summary>
public static class DeviceNodeProbe
{
    /// <param name="missing">The detail when the node does not exist.</param>
    /// <param name="usable">The detail when it opens.</param>
    /// <param name="denied">The detail when it exists but does not open, given the error's message.</param>
    public static (bool Usable, string Detail) OpenReadWrite(string path, string missing, string usable, Func<string, string> denied)
    {
        if (!File.Exists(path))
        {
            return (false, missing);
        }
        try
        {
            using var handle = File.OpenHandle(path, FileMode.Open, FileAccess.ReadWrite);
            return (true, usable);
        }
        catch (Exception e) when (e is UnauthorizedAccessException or IOException)
        {
            return (false, denied(e.Message));
        }
    }
}
