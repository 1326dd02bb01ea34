namespace KataSharp.TestHost.Machine;

/// <summary>
/// The machine-wide lock that keeps two test hosts (two L1 QEMUs, each using both cores) from
/// running at once. It is an flock(2) on a file (what .NET's FileShare.None takes on Linux, and
/// what flock(1) takes in scripts), so it is released when the holder dies, however it dies.
/// </summary>
internal sealed class MachineLock : IDisposable
{
    private static readonly TimeSpan RetryInterval = TimeSpan.FromMilliseconds(500);
    private static readonly TimeSpan ReminderInterval = TimeSpan.FromSeconds(60);
    private readonly FileStream held;

    private MachineLock(FileStream held, string path)
    {
        this.held = held;
        Path = path;
    }

    public string Path { get; }

    /// <summary>/run/lock when it exists (cleared at boot), else the cache.</summary>
    public static string DefaultPath(string cache) =>
        Directory.Exists("/run/lock") ? "/run/lock/katasharp-testhost.lock" : System.IO.Path.Combine(cache, "testhost", "lock");

    /// <summary>Waits until the lock is free, telling the log once (and every minute) who holds it.</summary>
    public static async Task<MachineLock> AcquireAsync(string path, Action<string> log, CancellationToken ct)
    {
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(path)!);
        DateTime started = DateTime.UtcNow;
        DateTime nextReminder = DateTime.MinValue;
        while (true)
        {
            FileStream? stream = TryLock(path);
            if (stream is not null)
            {
                // The pid goes beside the lock: .NET takes a shared flock on every FileStream it opens,
                // so a waiter could not read it from the locked file itself.
                File.WriteAllText(OwnerPath(path), $"{Environment.ProcessId}\n");
                return new MachineLock(stream, path);
            }
            if (DateTime.UtcNow >= nextReminder)
            {
                log($"waiting for the machine-wide test host lock {path} (held by pid {Holder(path)}, waited {(DateTime.UtcNow - started).TotalSeconds:F0}s): only one test host runs at a time");
                nextReminder = DateTime.UtcNow + ReminderInterval;
            }
            await Task.Delay(RetryInterval, ct).ConfigureAwait(false);
        }
    }

    public void Dispose() => held.Dispose();

    private static FileStream? TryLock(string path)
    {
        try
        {
            return new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
        }
        catch (IOException)
        {
            return null;
        }
    }

    private static string OwnerPath(string path) => path + ".owner";

    private static string Holder(string path)
    {
        try
        {
            string pid = File.ReadAllText(OwnerPath(path)).Trim();
            return pid.Length > 0 ? pid : "unknown";
        }
        catch (IOException)
        {
            return "unknown";
        }
    }
}
