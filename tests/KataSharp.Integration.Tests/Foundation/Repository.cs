using System.Diagnostics;

namespace KataSharp.Integration.Tests.Foundation;

/// <summary>The checkout these tests run from, and running its scripts on this machine (not in the test host).</summary>
internal static class Repository
{
    public static string Root { get; } = FindRoot();

    public static string OutBin => Path.Combine(Root, "out", "bin");

    /// <summary>Runs a repository script with bash; returns its exit code, stdout and stderr.</summary>
    public static Task<(int Code, string Stdout, string Stderr)> RunScriptAsync(string relativePath, params string[] args) =>
        RunScriptAsync(relativePath, new Dictionary<string, string>(), args);

    /// <summary>Runs a repository script with bash and extra environment variables.</summary>
    public static async Task<(int Code, string Stdout, string Stderr)> RunScriptAsync(string relativePath, IReadOnlyDictionary<string, string> environment, params string[] args)
    {
        var start = new ProcessStartInfo("bash") { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = Root };
        foreach ((string name, string value) in environment)
        {
            start.Environment[name] = value;
        }
        start.ArgumentList.Add(Path.Combine(Root, relativePath));
        foreach (string a in args)
        {
            start.ArgumentList.Add(a);
        }
        using var p = Process.Start(start)!;
        Task<string> stdout = p.StandardOutput.ReadToEndAsync();
        Task<string> stderr = p.StandardError.ReadToEndAsync();
        await p.WaitForExitAsync();
        return (p.ExitCode, await stdout, await stderr);
    }

    /// <summary>Runs a script that prints an output path as its last stdout line; fails with its stderr otherwise.</summary>
    public static Task<string> BuildAsync(string relativePath, params string[] args) =>
        BuildAsync(relativePath, new Dictionary<string, string>(), args);

    /// <summary>The same with extra environment variables (a build switch).</summary>
    public static async Task<string> BuildAsync(string relativePath, IReadOnlyDictionary<string, string> environment, params string[] args)
    {
        var (code, stdout, stderr) = await RunScriptAsync(relativePath, environment, args);
        string[] lines = stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        return code == 0 && lines.Length > 0
            ? lines[^1].Trim()
            : throw new InvalidOperationException($"{relativePath} {string.Join(' ', args)} failed with exit code {code}:\n{stderr}");
    }

    /// <summary>The NativeAOT test tool, published by scripts/publish.sh when it is missing.</summary>
    public static async Task<string> TestToolAsync()
    {
        string tool = Path.Combine(OutBin, "katasharp-testtool");
        if (!File.Exists(tool))
        {
            var (code, _, stderr) = await RunScriptAsync("scripts/publish.sh", "katasharp-testtool");
            if (code != 0)
            {
                throw new InvalidOperationException($"scripts/publish.sh katasharp-testtool failed:\n{stderr}");
            }
        }
        return tool;
    }

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "scripts", "lib.sh")))
            {
                return dir.FullName;
            }
        }
        throw new InvalidOperationException($"no KataSharp checkout above {AppContext.BaseDirectory}");
    }
}
