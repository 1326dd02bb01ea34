using System.Globalization;
using KataSharp.Linux.Interop;
using static KataSharp.Linux.Interop.MmanCalls;

namespace KataSharp.Linux.Memory;

/// <summary>
/// The pages of this process's own executable that it holds mapped but maybe no longer uses. When a page of a file
/// mapping faults in, the kernel maps its neighbours too (fault-around, 64 KiB), so a NativeAOT binary that ran its
/// start-up code ends up with nearly all of its 10+ MiB mapped, and every long-lived process of that binary pays its
/// share in Pss. Unmapping the read-only, never-written ranges (MADV_DONTNEED) leaves the pages in the page cache —
/// shared, reclaimable, not this process's — and the next touch of one maps it (and its neighbours) again: what stays
/// is the set the process goes on using.
/// <para>
/// Only mappings of the executable without write permission and without anonymous pages are advised: for those
/// MADV_DONTNEED cannot lose data (their contents are the file's). RELRO, written by the loader's relocations before it
/// made the range read-only, has anonymous pages and is left alone, as is every writable mapping.
/// </para>
/// </summary>
public static unsafe class ExecutableImagePages
{
    /// <summary>The executable's read-only, unmodified ranges now, from /proc/self/smaps (find them before a pivot
    /// that leaves /proc behind; the ranges stay valid for the process's life).</summary>
    public static IReadOnlyList<ImageRange> FindUnmodifiedReadOnlyRanges() =>
        ParseUnmodifiedReadOnlyRanges(File.ReadAllLines("/proc/self/smaps"), ExecutablePath());

    /// <summary>Unmaps <paramref name="ranges"/> from this process (MADV_DONTNEED); returns the bytes advised.</summary>
    public static long Release(IReadOnlyList<ImageRange> ranges)
    {
        long bytes = 0;
        foreach (ImageRange range in ranges)
        {
            if (madvise((void*)range.Start, (nuint)range.Length, MADV_DONTNEED) != 0)
            {
                throw new LinuxException($"madvise(MADV_DONTNEED, executable range 0x{range.Start:x}+{range.Length})", Libc.LastErrno);
            }
            bytes += (long)range.Length;
        }
        return bytes;
    }

    /// <summary>The smaps parse, apart for tests: mappings of <paramref name="executable"/> whose permissions lack
    /// 'w' and whose "Anonymous:" is 0 kB, with their "Rss:".</summary>
    public static IReadOnlyList<ImageRange> ParseUnmodifiedReadOnlyRanges(IEnumerable<string> smaps, string executable)
    {
        var ranges = new List<ImageRange>();
        ImageRange? candidate = null;
        foreach (string line in smaps)
        {
            if (TryParseHeader(line, out ulong start, out ulong end, out string permissions, out string path))
            {
                candidate = path == executable && !permissions.Contains('w', StringComparison.Ordinal) && end > start
                    ? new ImageRange(start, end - start, ResidentKib: 0)
                    : null;
                continue;
            }
            if (candidate is not { } range)
            {
                continue;
            }
            if (line.StartsWith("Rss:", StringComparison.Ordinal))
            {
                candidate = range with { ResidentKib = Math.Max(0, KiB(line)) };
            }
            else if (line.StartsWith("Anonymous:", StringComparison.Ordinal))
            {
                // smaps lists Rss before Anonymous; a mapping with any anonymous page has been written: left alone.
                if (KiB(line) == 0)
                {
                    ranges.Add(range);
                }
                candidate = null;
            }
        }
        return ranges;
    }

    /// <summary>"start-end perms offset dev inode [path]": the header line of one mapping.</summary>
    private static bool TryParseHeader(string line, out ulong start, out ulong end, out string permissions, out string path)
    {
        start = end = 0;
        permissions = path = "";
        string[] fields = line.Split(' ', 6, StringSplitOptions.RemoveEmptyEntries);
        if (fields.Length < 5 || fields[1].Length != 4)
        {
            return false;
        }
        int dash = fields[0].IndexOf('-', StringComparison.Ordinal);
        if (dash <= 0)
        {
            return false;
        }
        if (!ulong.TryParse(fields[0].AsSpan(0, dash), NumberStyles.HexNumber, CultureInfo.InvariantCulture, out start)
            || !ulong.TryParse(fields[0].AsSpan(dash + 1), NumberStyles.HexNumber, CultureInfo.InvariantCulture, out end))
        {
            return false;
        }
        permissions = fields[1];
        path = fields.Length == 6 ? fields[5].Trim() : "";
        return true;
    }

    private static long KiB(string line)
    {
        string[] fields = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        return fields.Length >= 2 && long.TryParse(fields[1], NumberStyles.None, CultureInfo.InvariantCulture, out long kib) ? kib : -1;
    }

    /// <summary>/proc/self/exe's target as the kernel names it in the maps (" (deleted)" included when it was replaced).</summary>
    private static string ExecutablePath() =>
        new FileInfo("/proc/self/exe").LinkTarget ?? throw new IOException("/proc/self/exe is not a link");
}
