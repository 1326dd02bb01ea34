namespace KataSharp.TestHost.Machine;

/// <summary>
/// The per-run directory under the cache: the spool share, the console log, QEMU's own output
/// and the control socket. Created under the machine lock, so any older run directory belongs
/// to a run that died without cleaning up and is removed. On dispose the console log is kept
/// as testhost/last-console.log for a human to read.
/// </summary>
internal sealed class RunDirectory : IDisposable
{
    /// <summary>sun_path is 108 bytes including the NUL.</summary>
    private const int MaxSocketPath = 107;

    private readonly string testHostCache;

    private RunDirectory(string testHostCache, string path)
    {
        this.testHostCache = testHostCache;
        Path = path;
    }

    public string Path { get; }

    public string Spool => System.IO.Path.Combine(Path, "spool");

    public string ConsoleLog => System.IO.Path.Combine(Path, "console.log");

    public string MachineLog => System.IO.Path.Combine(Path, "machine.log");

    public string ControlSocket => System.IO.Path.Combine(Path, "ctl.sock");

    /// <summary>
    /// Removes the run directories of an owner that was killed before it could (the next test
    /// host would remove them too): for tests that kill owners on purpose.
    /// </summary>
    internal static void RemoveRunsOf(string testHostCache, int ownerPid)
    {
        string runs = RunsIn(testHostCache);
        foreach (string left in Directory.Exists(runs) ? Directory.GetDirectories(runs, $"{ownerPid}-*") : [])
        {
            Directory.Delete(left, recursive: true);
        }
    }

    private static string RunsIn(string testHostCache) => System.IO.Path.Combine(testHostCache, "runs");

    public static RunDirectory Create(string testHostCache)
    {
        string runs = RunsIn(testHostCache);
        if (Directory.Exists(runs))
        {
            foreach (string stale in Directory.EnumerateDirectories(runs))
            {
                Directory.Delete(stale, recursive: true);
            }
        }
        var run = new RunDirectory(testHostCache,
            System.IO.Path.Combine(runs, $"{Environment.ProcessId}-{Guid.NewGuid().ToString("N")[..8]}"));
        Directory.CreateDirectory(run.Spool);
        if (run.ControlSocket.Length > MaxSocketPath)
        {
            throw new TestHostException(TestHostError.InvalidConfiguration,
                $"the control socket path {run.ControlSocket} is longer than {MaxSocketPath} bytes; set KATASHARP_CACHE to a shorter directory");
        }
        return run;
    }

    public void Dispose()
    {
        try
        {
            if (File.Exists(ConsoleLog))
            {
                File.Copy(ConsoleLog, System.IO.Path.Combine(testHostCache, "last-console.log"), overwrite: true);
            }
            Directory.Delete(Path, recursive: true);
        }
        catch (IOException)
        {
            // Best effort: the next run removes what is left.
        }
    }
}
