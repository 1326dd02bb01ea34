using System.Diagnostics;
using KataSharp.Runtime.Model;

namespace KataSharp.Runtime.Rootfs;

/// <summary>
/// Runs Debian's mkfs.erofs (erofs-utils) to turn a directory into a read-only erofs image.
/// Uncompressed (the guest reads it straight from the page cache) with ownership, modes,
/// per-file mtimes and xattrs (overlayfs opaque markers) kept; whiteout device nodes are
/// copied as they are, so the guest's overlayfs honours them. The converter runs confined
/// (<see cref="LayerConversionConfinement"/>), within a time limit, and only the first few KiB of
/// what it prints are kept.
/// </summary>
public sealed class ErofsBuilder
{
    /// <summary>The default of `[runtime] layer_conversion_timeout_seconds`.</summary>
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromMinutes(10);

    private readonly string _mkfs;
    private readonly TimeSpan _timeout;
    private readonly bool _confined;

    /// <param name="mkfsPath">The converter (tests give a stand-in).</param>
    /// <param name="timeout">How long one layer may take before the converter is killed (<see cref="DefaultTimeout"/>).</param>
    /// <param name="confined">false only for debugging (`[runtime] confine_layer_conversion = false`).</param>
    public ErofsBuilder(string mkfsPath = "mkfs.erofs", TimeSpan? timeout = null, bool confined = true)
    {
        _mkfs = mkfsPath;
        _timeout = timeout ?? DefaultTimeout;
        _confined = confined;
    }

    public async Task BuildAsync(string sourceDirectory, string imagePath, CancellationToken cancellationToken)
    {
        // Found before anything starts, so a missing tool is named with its package rather than reported as a
        // converter that exited with 127 from inside the confinement.
        string mkfs = HostProgram.Require(_mkfs, "erofs-utils");
        if (_confined)
        {
            foreach (var (tool, package) in LayerConversionConfinement.Tools)
            {
                HostProgram.Require(tool, package);
            }
        }
        var (program, arguments) = LayerConversionConfinement.Wrap(mkfs, ["--quiet", "--preserve-mtime", imagePath, sourceDirectory], sourceDirectory, _confined);
        var start = new ProcessStartInfo(program)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (string arg in arguments)
        {
            start.ArgumentList.Add(arg);
        }
        Process process;
        try
        {
            process = Process.Start(start) ?? throw new InvalidOperationException("Process.Start returned null");
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new RuntimeException(RuntimeError.FailedPrecondition,
                $"cannot run {program} ({e.Message}): install Debian's erofs-utils and util-linux (scripts/install-deps.sh does)");
        }
        using (process)
        {
            using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            deadline.CancelAfter(_timeout);
            Task<string> stdout = BoundedProcessOutput.ReadAsync(process.StandardOutput, deadline.Token);
            Task<string> stderr = BoundedProcessOutput.ReadAsync(process.StandardError, deadline.Token);
            try
            {
                await process.WaitForExitAsync(deadline.Token);
            }
            catch (OperationCanceledException)
            {
                // unshare, sh and setpriv exec in place: this pid is mkfs.erofs itself, so one kill ends the conversion.
                process.Kill();
                await process.WaitForExitAsync(CancellationToken.None);
                cancellationToken.ThrowIfCancellationRequested();
                throw new RuntimeException(RuntimeError.DeadlineExceeded,
                    $"{_mkfs} did not convert {sourceDirectory} within {_timeout.TotalSeconds:0} s and was killed: raise " +
                    "[runtime] layer_conversion_timeout_seconds for very large layers");
            }
            string output = (await stdout + await stderr).Trim();
            if (process.ExitCode != 0)
            {
                throw new RuntimeException(RuntimeError.Internal,
                    $"{_mkfs} {sourceDirectory} failed with exit code {process.ExitCode}: {output}");
            }
        }
    }
}
