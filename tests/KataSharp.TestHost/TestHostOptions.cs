using System.Globalization;
using KataSharp.TestHost.Build;
using KataSharp.TestHost.Machine;
using KataSharp.TestHost.Modes;

namespace KataSharp.TestHost;

/// <summary>How a test host is started. The public API takes these from the environment;
/// the library's own tests set them directly (e.g. a private lock file).</summary>
internal sealed record TestHostOptions
{
    /// <summary>Override for the boot timeout, in seconds.</summary>
    public const string BootTimeoutVariable = "KATASHARP_TESTHOST_BOOT_TIMEOUT";

    /// <summary>Override for the heartbeat timeout, in seconds.</summary>
    public const string HeartbeatTimeoutVariable = "KATASHARP_TESTHOST_HEARTBEAT_TIMEOUT";

    /// <summary>
    /// The agent answers a PING from its read loop within a second or two even while L1's CPUs are
    /// busy with nested guests (a bash builtin read and printf); a minute of silence is a machine
    /// that stopped, not a slow one.
    /// </summary>
    private static readonly TimeSpan DefaultHeartbeatTimeout = TimeSpan.FromSeconds(60);

    /// <summary>TCG boot of L1 with ~60 modules takes 15-40 s on a busy 2-core machine; this leaves room.</summary>
    private static readonly TimeSpan DefaultBootTimeout = TimeSpan.FromSeconds(300);

    public required RepositoryLayout Layout { get; init; }

    public required MachineFacts Facts { get; init; }

    public required string LockPath { get; init; }

    public required TimeSpan BootTimeout { get; init; }

    /// <summary>How often the host sends PING once the machine is ready.</summary>
    public TimeSpan HeartbeatInterval { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>How long the oldest unanswered PING may wait before the machine counts as stalled.</summary>
    public required TimeSpan HeartbeatTimeout { get; init; }

    /// <summary>How long a killed command (or a shutting-down machine) gets to report before we give up on it.</summary>
    public TimeSpan KillGrace { get; init; } = TimeSpan.FromSeconds(15);

    public required Action<string> Log { get; init; }

    /// <summary>L1's CPU count and extra kernel parameters (experiments; the environment sets them).</summary>
    public L1Tuning L1 { get; init; } = L1Tuning.Default;

    public static TestHostOptions FromEnvironment(Action<string>? log = null)
    {
        RepositoryLayout layout = RepositoryLayout.Discover();
        return new TestHostOptions
        {
            Layout = layout,
            Facts = MachineFacts.FromThisMachine(),
            LockPath = MachineLock.DefaultPath(layout.Cache),
            BootTimeout = ParseSeconds(BootTimeoutVariable, DefaultBootTimeout),
            HeartbeatTimeout = ParseSeconds(HeartbeatTimeoutVariable, DefaultHeartbeatTimeout),
            L1 = L1Tuning.FromEnvironment(),
            Log = log ?? (line => Console.Error.WriteLine($"[testhost] {line}")),
        };
    }

    public static TimeSpan ParseBootTimeout(string? text) => ParseSeconds(BootTimeoutVariable, text, DefaultBootTimeout);

    public static TimeSpan ParseHeartbeatTimeout(string? text) => ParseSeconds(HeartbeatTimeoutVariable, text, DefaultHeartbeatTimeout);

    private static TimeSpan ParseSeconds(string variable, TimeSpan fallback) =>
        ParseSeconds(variable, Environment.GetEnvironmentVariable(variable), fallback);

    private static TimeSpan ParseSeconds(string variable, string? text, TimeSpan fallback)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            return fallback;
        }
        return int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out int seconds) && seconds > 0
            ? TimeSpan.FromSeconds(seconds)
            : throw new TestHostException(TestHostError.InvalidConfiguration,
                $"{variable}='{text}' is not a positive number of seconds");
    }
}
