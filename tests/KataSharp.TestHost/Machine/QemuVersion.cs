using System.Diagnostics;
using System.Text.RegularExpressions;

namespace KataSharp.TestHost.Machine;

/// <summary>
/// The QEMU that runs L1 must be 10.0 or newer: under Debian bookworm's QEMU 7.2, L1's own kernel
/// crashed in about every second full test run (an interrupt taken on the instruction after an
/// emulated VMRUN, with the guest's GS base still loaded; README, "Known limits"). An older QEMU is
/// refused before L1 boots, naming the fix, instead of failing some later command at random.
/// </summary>
internal static partial class QemuVersion
{
    public static readonly Version Minimum = new(10, 0);

    /// <summary>The version in <c>qemu-system-x86_64 --version</c>'s first line, or null if there is none.</summary>
    public static Version? Parse(string versionOutput)
    {
        Match m = VersionLine().Match(versionOutput);
        return m.Success ? new Version(int.Parse(m.Groups[1].Value), int.Parse(m.Groups[2].Value)) : null;
    }

    /// <summary>Throws <see cref="TestHostError.InvalidConfiguration"/> unless <paramref name="versionOutput"/> names a new enough QEMU.</summary>
    public static void Require(string versionOutput)
    {
        Version? version = Parse(versionOutput);
        if (version is null)
        {
            throw new TestHostException(TestHostError.InvalidConfiguration,
                $"'{QemuArguments.Binary} --version' printed no version ('{versionOutput.Trim()}'); install QEMU {Minimum} or newer: scripts/install-deps.sh testhost");
        }
        if (version < Minimum)
        {
            throw new TestHostException(TestHostError.InvalidConfiguration,
                $"{QemuArguments.Binary} is QEMU {version}; the nested test host needs {Minimum} or newer (QEMU 7.2's SVM emulation crashed L1's kernel: README, \"Known limits\"). "
                + "Install it with scripts/install-deps.sh testhost (on Debian bookworm it comes from bookworm-backports)");
        }
    }

    /// <summary>Asks the installed QEMU and checks it.</summary>
    public static async Task RequireInstalledAsync(CancellationToken ct)
    {
        var start = new ProcessStartInfo(QemuArguments.Binary, "--version") { RedirectStandardOutput = true, RedirectStandardError = true };
        Process process;
        try
        {
            process = Process.Start(start) ?? throw new InvalidOperationException("no process");
        }
        catch (Exception e) when (e is System.ComponentModel.Win32Exception or InvalidOperationException)
        {
            throw new TestHostException(TestHostError.StartFailed,
                $"{QemuArguments.Binary} could not be started ({e.Message}); install QEMU {Minimum} or newer: scripts/install-deps.sh testhost");
        }
        using (process)
        {
            using var limit = CancellationTokenSource.CreateLinkedTokenSource(ct);
            limit.CancelAfter(TimeSpan.FromSeconds(30));
            string output = await process.StandardOutput.ReadToEndAsync(limit.Token).ConfigureAwait(false);
            await process.WaitForExitAsync(limit.Token).ConfigureAwait(false);
            Require(output);
        }
    }

    [GeneratedRegex(@"QEMU emulator version (\d+)\.(\d+)")]
    private static partial Regex VersionLine();
}
