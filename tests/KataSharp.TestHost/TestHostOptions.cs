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

    /// <summary>TCG boot of L1 with ~60 modules takes 15-40 s on a busy 2-core machine; this leaves room.</summary>
    private static readonly TimeSpan DefaultBootTimeout = TimeSpan.FromSeconds(300);

    public required RepositoryLayout Layout { get; init; }

    public required MachineFacts Facts { get; init; }

    public required string LockPath { get; init; }

    public required TimeSpan BootTimeout { get; init; }

    /// <summary>How long a killed command (or a shutting-down machine) gets to report before we give up on it.</summary>
    public TimeSpan KillGrace { get; init; } = TimeSpan.FromSeconds(15);

    public required Action<string> Log { get; init; }

    public static TestHostOptions FromEnvironment(Action<string>? log = null)
    {
        RepositoryLayout layout = RepositoryLayout.Discover();
        return new TestHostOptions
        {
            Layout = layout,
            Facts = MachineFacts.FromThisMachine(),
            LockPath = MachineLock.DefaultPath(layout.Cache),
            BootTimeout = ParseBootTimeout(Environment.GetEnvironmentVariable(BootTimeoutVariable)),
            Log = log ?? (line => Console.Error.WriteLine($"[testhost] {line}")),
        };
    }

    public static TimeSpan ParseBootTimeout(string? text)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            return DefaultBootTimeout;
        }
        return int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out int seconds) && seconds > 0
            ? TimeSpan.FromSeconds(seconds)
            : throw new TestHostException(TestHostError.InvalidConfiguration,
                $"{BootTimeoutVariable}='{text}' is not a positive number of seconds");
    }
}
