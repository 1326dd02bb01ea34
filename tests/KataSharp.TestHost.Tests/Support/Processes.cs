using System.Diagnostics;

namespace KataSharp.TestHost.Tests.Support;

/// <summary>Process facts read from /proc, and waiting on them with a deadline (never a bare sleep).</summary>
internal static class Processes
{
    /// <summary>True while the pid exists and is not a zombie (a killed, unreaped process is dead).</summary>
    public static bool IsAlive(int pid)
    {
        try
        {
            string stat = File.ReadAllText($"/proc/{pid}/stat");
            // "pid (comm) S ...": the state follows the last ')'.
            return stat[(stat.LastIndexOf(')') + 2)..][0] != 'Z';
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException or IOException)
        {
            return false;
        }
    }

    public static async Task<bool> WaitUntilAsync(Func<bool> condition, TimeSpan deadline)
    {
        var clock = Stopwatch.StartNew();
        while (!condition())
        {
            if (clock.Elapsed > deadline)
            {
                return false;
            }
            await Task.Delay(50);
        }
        return true;
    }

    public static async Task<int> ReadPidFileAsync(string path, TimeSpan deadline)
    {
        int pid = 0;
        bool found = await WaitUntilAsync(
            () => File.Exists(path) && int.TryParse(File.ReadAllText(path).Trim(), out pid), deadline);
        return found ? pid : throw new TimeoutException($"{path} did not appear within {deadline.TotalSeconds:F0}s");
    }

    /// <summary>Sends a signal with kill(1): the library has no public signal API and needs none.</summary>
    public static void Signal(int pid, string signal)
    {
        using var kill = Process.Start(new ProcessStartInfo("kill") { ArgumentList = { $"-{signal}", $"{pid}" } })!;
        kill.WaitForExit();
    }
}
