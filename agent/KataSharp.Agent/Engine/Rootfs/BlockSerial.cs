using KataSharp.Agent.Errors;

namespace KataSharp.Agent.Engine.Rootfs;

/// <summary>
/// A virtio-blk serial as the runtime sends it (a layer's, a host block device's): what GET_ID can answer (at most 20
/// bytes), restricted to characters that are safe in a path (it names the layer's mount directory) and in messages.
/// </summary>
public static class BlockSerial
{
    public const int MaxLength = 20;

    /// <summary>Throws INVALID_ARGUMENT naming <paramref name="field"/> unless <paramref name="serial"/> is 1-20 of letters, digits, - _ .</summary>
    public static void Validate(string serial, string field)
    {
        if (serial.Length == 0 || serial.Length > MaxLength || serial.Any(c => !char.IsAsciiLetterOrDigit(c) && c is not '-' and not '_' and not '.'))
        {
            throw AgentException.Invalid(field, $"'{Printable(serial)}' is not a virtio-blk serial (1-{MaxLength} characters: letters, digits, - _ .)");
        }
    }

    /// <summary>The serial quoted in a message: at most 40 characters, control characters escaped (it came from the wire).</summary>
    private static string Printable(string serial)
    {
        string cut = serial.Length > 40 ? serial[..40] + "…" : serial;
        return string.Concat(cut.Select(c => char.IsControl(c) ? $"\\x{(int)c:x2}" : c.ToString()));
    }
}
