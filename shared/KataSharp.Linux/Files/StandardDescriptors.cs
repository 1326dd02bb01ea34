using KataSharp.Linux.Interop;
using static KataSharp.Linux.Interop.UnistdCalls;

namespace KataSharp.Linux.Files;

/// <summary>Points the process's own stdin/stdout/stderr elsewhere (dup2(2)), e.g. stderr at a log FIFO.</summary>
public static class StandardDescriptors
{
    public const int Stdin = 0;
    public const int Stdout = 1;
    public const int Stderr = 2;

    /// <summary>Makes <paramref name="target"/> (0, 1 or 2) refer to what <paramref name="source"/> refers to.</summary>
    public static void Replace(int target, FileDescriptor source)
    {
        if (target is < Stdin or > Stderr)
        {
            throw new ArgumentOutOfRangeException(nameof(target), target, "only 0, 1 and 2 are standard descriptors");
        }
        while (dup2(source.Value, target) < 0)
        {
            Libc.IsInterrupted($"dup2({source.Value}, {target})");
        }
    }
}
