using KataSharp.TestHost.Build;
using KataSharp.TestHost.Modes;

namespace KataSharp.TestHost.Tests.Support;

/// <summary>
/// A test host forced into Direct mode with its own cache and lock, so these tests run the real
/// agent as real processes on this machine without QEMU and without touching (or waiting for)
/// the machine-wide test host.
/// </summary>
internal sealed class DirectHost : IAsyncDisposable
{
    private DirectHost(NestedTestHost host, string cache, List<string> log)
    {
        Host = host;
        Cache = cache;
        Log = log;
    }

    public NestedTestHost Host { get; }

    /// <summary>A scratch directory commands can use (the host and the commands see the same files).</summary>
    public string Cache { get; }

    public List<string> Log { get; }

    /// <param name="heartbeatTimeout">Default: long enough that a loaded machine never counts as stalled.</param>
    public static async Task<DirectHost> StartAsync(TimeSpan? heartbeatTimeout = null)
    {
        string cache = Directory.CreateTempSubdirectory("ks-direct-").FullName;
        var log = new List<string>();
        TestHostOptions options = Options(cache, log);
        if (heartbeatTimeout is { } timeout)
        {
            options = options with { HeartbeatTimeout = timeout };
        }
        return new DirectHost(await NestedTestHost.StartAsync(options, CancellationToken.None), cache, log);
    }

    public static TestHostOptions Options(string cache, List<string> log) => new()
    {
        Layout = RepositoryLayout.Discover() with { Cache = cache },
        Facts = MachineFacts.FromThisMachine() with { ModeOverride = "direct" },
        LockPath = Path.Combine(cache, "lock"),
        BootTimeout = TimeSpan.FromSeconds(60),
        KillGrace = TimeSpan.FromSeconds(10),
        HeartbeatInterval = TimeSpan.FromMilliseconds(250),
        HeartbeatTimeout = TimeSpan.FromSeconds(60),
        Log = line =>
        {
            lock (log)
            {
                log.Add(line);
            }
        },
    };

    public async ValueTask DisposeAsync()
    {
        await Host.DisposeAsync();
        Directory.Delete(Cache, recursive: true);
    }
}
