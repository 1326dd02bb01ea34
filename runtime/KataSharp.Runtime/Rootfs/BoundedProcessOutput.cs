using System.Text;

namespace KataSharp.Runtime.Rootfs;

/// <summary>
/// Reads a child's output to its end, keeping only the first <see cref="MaxChars"/> characters for an error
/// message: a converter fed a crafted layer (millions of odd file names to warn about) must not grow the shim
/// without limit. The rest is read and counted, so the child never blocks on a full pipe.
/// </summary>
public static class BoundedProcessOutput
{
    public const int MaxChars = 8 * 1024;

    public static async Task<string> ReadAsync(TextReader reader, CancellationToken cancellationToken)
    {
        var kept = new StringBuilder();
        long dropped = 0;
        char[] buffer = new char[4096];
        int read;
        while ((read = await reader.ReadAsync(buffer, cancellationToken)) > 0)
        {
            int keep = Math.Min(read, MaxChars - kept.Length);
            kept.Append(buffer, 0, keep);
            dropped += read - keep;
        }
        return dropped == 0 ? kept.ToString() : $"{kept} … ({dropped} more characters not kept)";
    }
}
