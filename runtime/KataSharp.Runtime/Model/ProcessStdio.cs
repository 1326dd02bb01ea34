namespace KataSharp.Runtime.Model;

/// <summary>
/// The stdio FIFO paths containerd chose for a process (null = not wanted), and whether it runs
/// on a terminal. With a terminal, output is merged onto <see cref="Stdout"/> and stderr is unused.
/// </summary>
public sealed record ProcessStdio(string? Stdin, string? Stdout, string? Stderr, bool Terminal)
{
    public static readonly ProcessStdio None = new(null, null, null, false);

    /// <summary>containerd sends "" for "no stream"; the domain uses null.</summary>
    public static ProcessStdio FromPaths(string stdin, string stdout, string stderr, bool terminal) =>
        new(NullIfEmpty(stdin), NullIfEmpty(stdout), terminal ? null : NullIfEmpty(stderr), terminal);

    private static string? NullIfEmpty(string path) => string.IsNullOrEmpty(path) ? null : path;
}
