using System.Diagnostics;
using KataSharp.Runtime.Model;

namespace KataSharp.Runtime.Rootfs;

/// <summary>
/// Runs Debian's mkfs.erofs (erofs-utils) to turn a directory into a read-only erofs image.
/// Uncompressed (the guest reads it straight from the page cache) with ownership, modes,
/// per-file mtimes and xattrs (overlayfs opaque markers) kept; whiteout device nodes are
/// copied as they are, so the guest's overlayfs honours them.
/// </summary>
public sealed class ErofsBuilder
{
    private readonly string _mkfs;

    public ErofsBuilder(string mkfsPath = "mkfs.erofs") => _mkfs = mkfsPath;

    public async Task BuildAsync(string sourceDirectory, string imagePath, CancellationToken cancellationToken)
    {
        var start = new ProcessStartInfo(_mkfs)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (string arg in new[] { "--quiet", "--preserve-mtime", imagePath, sourceDirectory })
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
                $"cannot run {_mkfs} ({e.Message}): install Debian's erofs-utils (scripts/install-deps.sh does)");
        }
        using (process)
        {
            Task<string> stdout = process.StandardOutput.ReadToEndAsync(cancellationToken);
            Task<string> stderr = process.StandardError.ReadToEndAsync(cancellationToken);
            try
            {
                await process.WaitForExitAsync(cancellationToken);
            }
            catch (OperationCanceledException)
            {
                process.Kill();
                throw;
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
