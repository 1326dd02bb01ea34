namespace KataSharp.Runtime.Model;

/// <summary>Programs of the host the runtime starts (mkfs.erofs, unshare): found once, or a clear error naming the package.</summary>
public static class HostProgram
{
    /// <summary>The absolute path of <paramref name="program"/> (a path, or a name looked up in PATH).</summary>
    public static string Require(string program, string package)
    {
        IEnumerable<string> candidates = program.Contains('/')
            ? [program]
            : (Environment.GetEnvironmentVariable("PATH") ?? "/usr/sbin:/usr/bin:/sbin:/bin")
                .Split(':', StringSplitOptions.RemoveEmptyEntries).Select(dir => Path.Combine(dir, program));
        return candidates.FirstOrDefault(File.Exists) is { } found
            ? Path.GetFullPath(found)
            : throw new RuntimeException(RuntimeError.FailedPrecondition,
                $"cannot run {program}: it is not installed; install Debian's {package} (scripts/install-deps.sh does)");
    }
}
