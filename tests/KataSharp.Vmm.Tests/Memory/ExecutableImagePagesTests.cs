using System.Runtime.InteropServices;
using KataSharp.Linux.Memory;
using Xunit;

namespace KataSharp.Vmm.Tests.Memory;

/// <summary>
/// Which of the executable's mappings the trim may unmap (read-only, never written: their contents are the file's) and
/// that unmapping them keeps their contents — on a written smaps text, and on this test process's own executable.
/// </summary>
public sealed class ExecutableImagePagesTests
{
    private const string Exe = "/usr/local/bin/containerd-shim-katasharp-v2";

    [Fact]
    public void Only_the_executables_read_only_mappings_without_anonymous_pages_are_chosen()
    {
        string smaps = $"""
            55d000000000-55d000017000 r--p 00000000 00:17 15                         {Exe}
            Size:                 92 kB
            Rss:                  92 kB
            Anonymous:             0 kB
            55d000017000-55d00067e000 r-xp 00017000 00:17 15                         {Exe}
            Size:               6556 kB
            Rss:                5852 kB
            Anonymous:             0 kB
            55d00067e000-55d000a30000 r--p 0067e000 00:17 15                         {Exe}
            Size:               3784 kB
            Rss:                3208 kB
            Anonymous:            12 kB
            55d000a31000-55d000c92000 rw-p 00a31000 00:17 15                         {Exe}
            Size:               2436 kB
            Rss:                2212 kB
            Anonymous:             0 kB
            7f0000000000-7f0000026000 r-xp 00001000 00:16 663305                     /usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2
            Size:                152 kB
            Rss:                 136 kB
            Anonymous:             0 kB
            7f0000100000-7f0000200000 r--p 00000000 00:00 0 
            Size:               1024 kB
            Rss:                   0 kB
            Anonymous:             0 kB
            """;

        IReadOnlyList<ImageRange> ranges = ExecutableImagePages.ParseUnmodifiedReadOnlyRanges(smaps.Split('\n'), Exe);

        // The RELRO range (anonymous pages: the loader's relocations), the writable data, another file and an
        // anonymous mapping are left alone.
        Assert.Equal(
            [new ImageRange(0x55d000000000, 0x17000, 92), new ImageRange(0x55d000017000, 0x667000, 5852)],
            ranges);
    }

    [Fact]
    public void A_replaced_executable_is_still_recognised_by_the_name_the_kernel_gives_it()
    {
        string smaps = $"""
            55d000017000-55d00067e000 r-xp 00017000 00:17 15                         {Exe} (deleted)
            Rss:                5852 kB
            Anonymous:             0 kB
            """;

        Assert.Single(ExecutableImagePages.ParseUnmodifiedReadOnlyRanges(smaps.Split('\n'), $"{Exe} (deleted)"));
        Assert.Empty(ExecutableImagePages.ParseUnmodifiedReadOnlyRanges(smaps.Split('\n'), Exe));
    }

    [Fact]
    public void Releasing_this_processs_executable_pages_unmaps_them_and_keeps_their_contents()
    {
        IReadOnlyList<ImageRange> ranges = ExecutableImagePages.FindUnmodifiedReadOnlyRanges();
        Assert.NotEmpty(ranges);
        byte[][] before = [.. ranges.Select(FirstPage)];
        long residentBefore = ExecutableImagePages.FindUnmodifiedReadOnlyRanges().Sum(r => r.ResidentKib);
        Assert.True(residentBefore > 0, "the pages just read are not resident");

        long advised = ExecutableImagePages.Release(ranges);

        Assert.Equal(ranges.Sum(r => (long)r.Length), advised);
        long residentAfter = ExecutableImagePages.FindUnmodifiedReadOnlyRanges().Sum(r => r.ResidentKib);
        Assert.True(residentAfter < residentBefore, $"resident {residentBefore} KiB before, {residentAfter} KiB after");
        Assert.Equal(before, ranges.Select(FirstPage));
    }

    private static byte[] FirstPage(ImageRange range)
    {
        var page = new byte[(int)Math.Min(range.Length, 4096)];
        Marshal.Copy((nint)range.Start, page, 0, page.Length);
        return page;
    }
}
