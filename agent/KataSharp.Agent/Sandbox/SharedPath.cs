using System.Text;
using KataSharp.Agent.Errors;

namespace KataSharp.Agent.Sandbox;

/// <summary>
/// The one check for a relative path the host names below a directory the agent owns (CopyFile, RemoveFile,
/// PrepareVolume): it is split into components here, and each is then opened with <c>*at</c> calls that never
/// follow a symlink (<see cref="Linux.Files.DirectoryHandle"/>), so neither the text nor anything a container
/// changed in a bound directory can lead a write elsewhere.
/// </summary>
public static class SharedPath
{
    /// <summary>PATH_MAX and NAME_MAX: the kernel's own bounds.</summary>
    public const int MaxPathBytes = 4096, MaxComponentBytes = 255;

    /// <summary>The components of <paramref name="relative"/>; INVALID_ARGUMENT naming <paramref name="field"/> unless it is a
    /// non-empty relative path without NUL, '.', '..' or empty parts, within PATH_MAX and NAME_MAX.</summary>
    public static string[] Split(string relative, string field)
    {
        if (relative.Length == 0 || relative.StartsWith('/') || relative.Contains('\0') || Encoding.UTF8.GetByteCount(relative) > MaxPathBytes)
        {
            throw Refused(relative, field);
        }
        string[] parts = relative.Split('/');
        if (parts.Any(p => p is "." or ".." || p.Length == 0 || Encoding.UTF8.GetByteCount(p) > MaxComponentBytes))
        {
            throw Refused(relative, field);
        }
        return parts;
    }

    private static AgentException Refused(string relative, string field) =>
        AgentException.Invalid(field, $"'{Printable(relative)}' must be a relative path below the agent's directory: not absolute, without NUL, '.', '..' " +
            $"or empty parts, at most {MaxPathBytes} bytes and {MaxComponentBytes} per part");

    private static string Printable(string text)
    {
        string shown = text.Length > 128 ? text[..128] + "…" : text;
        return string.Concat(shown.Select(c => char.IsControl(c) ? $"\\x{(int)c:x2}" : c.ToString()));
    }
}
