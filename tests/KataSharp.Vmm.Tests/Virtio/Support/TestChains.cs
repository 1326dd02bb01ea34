using KataSharp.Vmm.Memory;
using KataSharp.Vmm.Virtio.Queue;

namespace KataSharp.Vmm.Tests.Virtio.Support;

/// <summary>
/// Descriptor chains built straight in guest memory, without a queue or a transport: for tests that hand
/// a chain's reader or writer to one device part (a vsock connection, the muxer) and want nothing else running.
/// </summary>
internal sealed class TestChains : IDisposable
{
    private const ushort TableSize = 16;

    private ulong _next = 0x1000;

    public TestChains(ulong ramBytes = 4 << 20)
    {
        Memory = GuestMemory.Create([(new GuestAddress(0), ramBytes)]);
    }

    public GuestMemory Memory { get; }

    /// <summary>A chain of one device-writable buffer of <paramref name="length"/> bytes; its address is <paramref name="buffer"/>.</summary>
    public DescriptorChain Writable(uint length, out GuestAddress buffer)
    {
        buffer = Allocate(length);
        return Load(buffer, length, DescriptorFlags.Write);
    }

    /// <summary>A chain of one device-readable buffer holding <paramref name="bytes"/>.</summary>
    public DescriptorChain Readable(ReadOnlySpan<byte> bytes)
    {
        GuestAddress buffer = Allocate((ulong)bytes.Length);
        Memory.Write(buffer, bytes);
        return Load(buffer, (uint)bytes.Length, DescriptorFlags.None);
    }

    private DescriptorChain Load(GuestAddress buffer, uint length, DescriptorFlags flags)
    {
        GuestAddress table = Allocate(16UL * TableSize);
        Memory.Write(table, buffer.Value);
        Memory.Write(table.Add(8), length);
        Memory.Write(table.Add(12), (ushort)flags);
        Memory.Write(table.Add(14), (ushort)0);
        var chain = new DescriptorChain(TableSize);
        if (!chain.Load(Memory, table, TableSize, head: 0, indirectAllowed: false))
        {
            throw new InvalidOperationException($"test chain did not load: {chain.Problem}");
        }
        return chain;
    }

    private GuestAddress Allocate(ulong size)
    {
        ulong start = (_next + 15) / 16 * 16;
        _next = start + Math.Max(size, 1);
        if (_next > Memory.Size)
        {
            throw new InvalidOperationException("test chains ran out of guest RAM");
        }
        return new GuestAddress(start);
    }

    public void Dispose() => Memory.Dispose();
}
