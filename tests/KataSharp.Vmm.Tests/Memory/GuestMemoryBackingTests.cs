using System.Globalization;
using KataSharp.Linux.Memory;
using KataSharp.Vmm.Memory;
using Xunit;

namespace KataSharp.Vmm.Tests.Memory;

/// <summary>
/// How guest RAM is backed: private anonymous memory starting on a 2 MiB boundary (so the host's transparent huge
/// pages can back it from its first byte), not advised for huge pages (no "hg" VmFlag: an advised fault may stall in
/// direct compaction), kept out of core dumps and forks ("dd", "dc": also how scripts find it where the kernel cannot
/// name it), named in smaps where the kernel can — read back from this process's own /proc/self/smaps.
/// </summary>
public sealed class GuestMemoryBackingTests
{
    private const ulong MiB = 1 << 20;

    [Fact]
    public void Guest_ram_starts_on_a_huge_page_boundary_and_regions_follow_the_layout()
    {
        using GuestMemory memory = GuestMemory.Create([(new GuestAddress(0), 6 * MiB), (new GuestAddress(0x1_0000_0000), 4 * MiB)]);
        Assert.Equal(0UL, memory.Regions[0].HostAddress % (2 * MiB));
        Assert.Equal(memory.Regions[0].HostAddress + 6 * MiB, memory.Regions[1].HostAddress);
        Assert.Equal(10 * MiB, memory.Size);
    }

    [Fact]
    public void Guest_ram_is_private_anonymous_out_of_dumps_and_forks_named_and_zero_filled()
    {
        using GuestMemory memory = GuestMemory.Create([(new GuestAddress(0), 8 * MiB)]);
        SmapsEntry entry = SmapsEntry.Find(memory.Regions[0].HostAddress)
            ?? throw new Xunit.Sdk.XunitException("guest RAM is not in /proc/self/smaps");

        Assert.Equal(8 * MiB / 1024, entry.SizeKib);
        Assert.Equal("rw-p", entry.Header.Split(' ')[1]); // private: no other process shares guest RAM
        string[] flags = entry.VmFlags.Split(' ');
        Assert.DoesNotContain("hg", flags); // not MADV_HUGEPAGE
        Assert.Contains("dd", flags); // MADV_DONTDUMP
        Assert.Contains("dc", flags); // MADV_DONTFORK
        // Names need CONFIG_ANON_VMA_NAME: where a scratch mapping cannot be named, neither is guest RAM.
        using (MemoryMapping probe = MemoryMapping.MapAnonymous(4096))
        {
            if (probe.Name("katasharp-probe"))
            {
                Assert.EndsWith($"[anon:{GuestMemory.MappingName}]", entry.Header);
            }
            else
            {
                Assert.DoesNotContain("[anon:", entry.Header);
            }
        }
        Assert.All(memory.GetSpan(new GuestAddress(0), 4096).ToArray(), b => Assert.Equal(0, b));
    }

    [Fact]
    public void Disposed_guest_ram_is_unmapped()
    {
        GuestMemory memory = GuestMemory.Create([(new GuestAddress(0), 2 * MiB)]);
        ulong host = memory.Regions[0].HostAddress;
        Assert.True(memory.IsMapped);
        memory.Dispose();
        Assert.False(memory.IsMapped);
        Assert.Null(SmapsEntry.Find(host));
        Assert.Throws<ObjectDisposedException>(() => memory.Read<byte>(new GuestAddress(0)));
    }

    /// <summary>The shim turns huge pages off for itself and its VMM process inherits that; guest RAM turns them back on
    /// for the process that maps it. The setting is the whole process's: restored as it was.</summary>
    [Fact]
    public void Guest_ram_allows_huge_pages_again_in_a_process_that_had_them_off()
    {
        bool before = TransparentHugePages.DisabledForThisProcess;
        try
        {
            TransparentHugePages.DisableForThisProcess();
            Assert.True(TransparentHugePages.DisabledForThisProcess);
            using GuestMemory memory = GuestMemory.Create([(new GuestAddress(0), 2 * MiB)]);
            Assert.False(TransparentHugePages.DisabledForThisProcess);
        }
        finally
        {
            if (before)
            {
                TransparentHugePages.DisableForThisProcess();
            }
            else
            {
                TransparentHugePages.AllowForThisProcess();
            }
        }
    }

    [Theory]
    [InlineData(0UL)]
    [InlineData(3 * MiB)]
    [InlineData(1000UL)]
    public void An_alignment_that_is_no_power_of_two_page_multiple_is_refused(ulong alignment)
    {
        ArgumentException e = Assert.Throws<ArgumentException>(() => MemoryMapping.MapAnonymousAligned(MiB, alignment));
        Assert.Contains($"alignment {alignment}", e.Message);
    }

    private sealed record SmapsEntry(string Header, ulong SizeKib, string VmFlags)
    {
        /// <summary>The smaps entry of the mapping that starts at <paramref name="start"/>, if any.</summary>
        public static SmapsEntry? Find(ulong start)
        {
            string[] lines = File.ReadAllLines("/proc/self/smaps");
            string prefix = start.ToString("x", CultureInfo.InvariantCulture) + "-";
            int at = Array.FindIndex(lines, l => l.StartsWith(prefix, StringComparison.Ordinal));
            if (at < 0)
            {
                return null;
            }
            // Every entry lists the same fields, so the first one after the header is this entry's.
            string Field(string name) => lines.Skip(at + 1)
                .First(l => l.StartsWith(name + ":", StringComparison.Ordinal))[(name.Length + 1)..].Trim();
            return new SmapsEntry(lines[at], ulong.Parse(Field("Size").Split(' ')[0], CultureInfo.InvariantCulture), Field("VmFlags"));
        }
    }
}
