namespace KataSharp.TestHost.Build;

/// <summary>
/// Where the test host finds its scripts and cache. The repository root is found by walking up
/// from the test assembly (or taken from KATASHARP_ROOT); the cache follows scripts/lib.sh
/// (KATASHARP_CACHE, default /var/cache/katasharp).
/// </summary>
internal sealed record RepositoryLayout(string Root, string Cache)
{
    private const string Marker = "tests/testhost/agent.sh";

    public string TestHostScripts => Path.Combine(Root, "tests", "testhost");

    public string AgentScript => Path.Combine(TestHostScripts, "agent.sh");

    public string GuardScript => Path.Combine(TestHostScripts, "guard.sh");

    public string BuildL1Script => Path.Combine(TestHostScripts, "build-l1.sh");

    public string TestHostCache => Path.Combine(Cache, "testhost");

    public static RepositoryLayout Discover()
    {
        string cache = Environment.GetEnvironmentVariable("KATASHARP_CACHE") is { Length: > 0 } c ? c : "/var/cache/katasharp";
        if (Environment.GetEnvironmentVariable("KATASHARP_ROOT") is { Length: > 0 } root)
        {
            return File.Exists(Path.Combine(root, Marker))
                ? new RepositoryLayout(Path.GetFullPath(root), cache)
                : throw new TestHostException(TestHostError.InvalidConfiguration,
                    $"KATASHARP_ROOT={root} is not a KataSharp checkout (no {Marker}); unset it or point it at the repository");
        }
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, Marker)))
            {
                return new RepositoryLayout(dir.FullName, cache);
            }
        }
        throw new TestHostException(TestHostError.InvalidConfiguration,
            $"cannot find the KataSharp repository above {AppContext.BaseDirectory} (looked for {Marker}); set KATASHARP_ROOT");
    }
}
