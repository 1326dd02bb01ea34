using System.Diagnostics;
namespace KataSharp.Runtime.Tests.Shim;

/// <summary>Runs the published containerd-shim-katasharp-v2 exactly as containerd 1.6 does (binary.go).</summary>
public sealed class ShimBinary
{
    public const string ContainerdAddress = "/run/containerd/containerd.sock";

    public ShimBinary()
    {
        Path = PublishedBinary.Path("containerd-shim-katasharp-v2");
    }

    public string Path { get; }

    public Dictionary<string, string> Environment { get; } = new();

    /// <summary>`shim -namespace NS -address A -publish-binary B -id ID [extra...] VERB` with cwd = bundle; stdout and stderr merged, as containerd's CombinedOutput.</summary>
    public async Task<(int ExitCode, byte[] Stdout, string Stderr)> RunAsync(string bundle, string ns, string id, string verb, params string[] extra)
    {
        var start = new ProcessStartInfo(Path)
        {
            WorkingDirectory = bundle,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (string arg in new[] { "-namespace", ns, "-address", ContainerdAddress, "-publish-binary", "/usr/bin/containerd", "-id", id }.Concat(extra).Append(verb))
        {
            start.ArgumentList.Add(arg);
        }
        foreach (var (key, value) in Environment)
        {
            start.Environment[key] = value;
        }
        using var process = Process.Start(start)!;
        process.StandardInput.Close(); // containerd gives start an empty stdin when there are no runtime options
        using var stdout = new MemoryStream();
        // Reading to end of file is the point: containerd hangs if the spawned server kept our pipe.
        Task copy = process.StandardOutput.BaseStream.CopyToAsync(stdout);
        Task<string> stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        await Task.WhenAll(copy, stderr).WaitAsync(timeout.Token);
        await process.WaitForExitAsync(timeout.Token);
        return (process.ExitCode, stdout.ToArray(), await stderr);
    }
}
