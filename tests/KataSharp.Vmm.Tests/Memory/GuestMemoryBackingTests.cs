using System.Globalization;
using KataSharp.Linux.Memory;
using KataSharp.Vmm.Memory;
using Xunit;

namespace KataSharp.Vmm.Tests.Memory;

/// <summary>
/// How guest RAM is backed: 2 MiB aligned private anonymous memory, advised for transparent huge
/// pages and named in smaps — read back from this process's own /proc/self/smaps.
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
    public void Guest_ram_is_named_advised_for_huge_pages_and_zero_filled()
    {
        using GuestMemory memory = GuestMemory.Create([(new GuestAddress(0), 8 * MiB)]);
        SmapsEntry entry = SmapsEntry.Find(memory.Regions[0].HostAddress)
            ?? throw new Xunit.Sdk.XunitException("guest RAM is not in /proc/self/smaps");

        Assert.Equal(8 * MiB / 1024, entry.SizeKib);
        Assert.Contains("hg", entry.VmFlags.Split(' ')); // MADV_HUGEPAGE
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
        memory.Dispose();
        Assert.Null(SmapsEntry.Find(host));
        Assert.Throws<ObjectDisposedException>(() => memory.Read<byte>(new GuestAddress(0)));
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
