using System.Buffers;

namespace KataSharp.TestHost.Protocol;

/// <summary>Command ids: also directory names in the spool, so only [A-Za-z0-9_-].</summary>
internal static class CommandId
{
    private static readonly SearchValues<char> Allowed =
        SearchValues.Create("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-");

    private static long next;

    public static string Next() => $"c{Interlocked.Increment(ref next)}";

    public static bool IsValid(string id) => id.Length is > 0 and <= 64 && !id.AsSpan().ContainsAnyExcept(Allowed);
}
