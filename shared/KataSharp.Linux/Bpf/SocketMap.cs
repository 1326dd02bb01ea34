using KataSharp.Linux.Files;
using KataSharp.Linux.Interop;

namespace KataSharp.Linux.Bpf;

/// <summary>
/// A BPF_MAP_TYPE_SOCKMAP: slots holding sockets by index, which a program can hand to the kernel (an sk_lookup
/// program assigns a connection to one). The map holds its own reference to each socket, so a slot keeps its socket
/// alive until the map goes (when its fd and every program using it are closed).
/// </summary>
public sealed unsafe class SocketMap : IDisposable
{
    private SocketMap(FileDescriptor descriptor, int slots)
    {
        Descriptor = descriptor;
        Slots = slots;
    }

    public FileDescriptor Descriptor { get; }

    public int Slots { get; }

    public static SocketMap Create(int slots)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(slots);
        var attr = new BpfAttr(stackalloc byte[BpfCalls.AttrSize]);
        attr.U32(BpfCalls.MapTypeOffset, BpfCalls.BPF_MAP_TYPE_SOCKMAP);
        attr.U32(BpfCalls.KeySizeOffset, sizeof(uint));
        attr.U32(BpfCalls.ValueSizeOffset, sizeof(ulong)); // the socket's fd on update (a cookie on lookup from user space)
        attr.U32(BpfCalls.MaxEntriesOffset, (uint)slots);
        return new SocketMap(attr.Create(BpfCalls.BPF_MAP_CREATE, "bpf(BPF_MAP_CREATE, SOCKMAP)"), slots);
    }

    /// <summary>Puts the socket <paramref name="socketFd"/> in slot <paramref name="slot"/> (a TCP socket must be listening).</summary>
    public void Set(int slot, int socketFd)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(slot);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(slot, Slots);
        uint key = (uint)slot;
        ulong value = (ulong)socketFd;
        var attr = new BpfAttr(stackalloc byte[BpfCalls.AttrSize]);
        attr.U32(BpfCalls.MapFdOffset, (uint)Descriptor.Value);
        attr.U64(BpfCalls.KeyOffset, (ulong)&key);
        attr.U64(BpfCalls.ValueOffset, (ulong)&value);
        attr.Run(BpfCalls.BPF_MAP_UPDATE_ELEM, $"bpf(BPF_MAP_UPDATE_ELEM, sockmap slot {slot})");
    }

    public void Dispose() => Descriptor.Dispose();
}
