using System.Reflection;

namespace KataSharp.Linux;

/// <summary>
/// The version and git commit of this build, shared by every KataSharp binary. Directory.Build.props
/// sets the version once and stamps the commit, so each assembly's AssemblyInformationalVersion reads
/// "0.1.0+&lt;commit&gt;". It lives here because KataSharp.Linux is the one project that the CLI, the
/// shim, the VMM and the agent all reference. Attributes are read without reflection over members,
/// so NativeAOT keeps them.
/// </summary>
public sealed record BuildVersion(string Version, string Commit)
{
    /// <summary>The commit of a build made without git (a source tarball, a machine without git).</summary>
    public const string UnknownCommit = "unknown";

    /// <summary>This build. Every KataSharp assembly carries the same stamp, so this assembly's is the binary's.</summary>
    public static BuildVersion Current { get; } =
        Parse(typeof(BuildVersion).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion);

    /// <summary>"0.1.0+3264b90c1a2b" → (0.1.0, 3264b90c1a2b); no "+commit" → the commit is unknown.</summary>
    public static BuildVersion Parse(string? informationalVersion)
    {
        if (string.IsNullOrWhiteSpace(informationalVersion))
        {
            return new BuildVersion("0.0.0", UnknownCommit);
        }
        int plus = informationalVersion.IndexOf('+');
        string version = plus < 0 ? informationalVersion : informationalVersion[..plus];
        string commit = plus < 0 ? "" : informationalVersion[(plus + 1)..];
        return new BuildVersion(version.Length == 0 ? "0.0.0" : version, commit.Length == 0 ? UnknownCommit : commit);
    }

    /// <summary>The `--version` line of a KataSharp command: "katasharp 0.1.0 (commit 3264b90c1a2b)".</summary>
    public string Line(string program) => $"{program} {Version} (commit {Commit})";
}
