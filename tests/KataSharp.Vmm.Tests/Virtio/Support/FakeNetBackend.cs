using KataSharp.Linux;
using KataSharp.Linux.Events;
using KataSharp.Linux.Files;
using KataSharp.Linux.Network;
using KataSharp.Vmm.Virtio.Devices.Net;

namespace KataSharp.Vmm.Tests.Virtio.Support;

/// <summary>
/// An in-memory tap: frames queued for the guest (<see cref="Enqueue"/>, read like a tap read: truncated
/// to the buffer), frames the device sent (<see cref="Sent"/>), the offloads it was told, and an eventfd
/// that turns readable on every enqueue (unless <see cref="AutoSignal"/> is off). Thread-safe.
/// </summary>
internal sealed class FakeNetBackend : INetBackend
{
    private readonly object _sync = new();
    private readonly Queue<byte[]> _inbound = new();
    private readonly List<byte[]> _sent = [];
    private readonly List<TunOffloads> _offloads = [];
    private readonly EventFd _ready = EventFd.Create();
    private readonly List<int> _receivingThreads = [];
    private readonly List<int> _sendingThreads = [];

    /// <summary>Signal readiness on every enqueue (what a tap does); off for tests that drive RX by hand.</summary>
    public bool AutoSignal { get; set; } = true;

    /// <summary>TrySend answers "full" while set.</summary>
    public bool Full { get; set; }

    /// <summary>TrySend throws this errno while set.</summary>
    public Errno? SendError { get; set; }

    public bool IsDisposed { get; private set; }

    public FileDescriptor ReadinessDescriptor => _ready.Descriptor;

    /// <summary>Frames waiting for the device.</summary>
    public int Pending => Locked(() => _inbound.Count);

    /// <summary>Managed thread ids of every frame the device took, in order.</summary>
    public IReadOnlyList<int> ReceivingThreads => Locked(() => _receivingThreads.ToArray());

    /// <summary>Managed thread ids of every frame the device sent, in order.</summary>
    public IReadOnlyList<int> SendingThreads => Locked(() => _sendingThreads.ToArray());

    public int Received => Locked(() => _receivingThreads.Count);

    public IReadOnlyList<byte[]> Sent => Locked(() => _sent.ToArray());

    public IReadOnlyList<TunOffloads> OffloadHistory => Locked(() => _offloads.ToArray());

    /// <summary>Queues a frame (virtio_net_hdr + Ethernet) for the device.</summary>
    public void Enqueue(byte[] frame)
    {
        lock (_sync)
        {
            _inbound.Enqueue(frame);
        }
        if (AutoSignal)
        {
            _ready.Signal();
        }
    }

    /// <summary>Forgets the frames still waiting (what a tap does with its queue when it is reset).</summary>
    public void Clear()
    {
        lock (_sync)
        {
            _inbound.Clear();
        }
    }

    public int TryReceive(Span<byte> buffer)
    {
        lock (_sync)
        {
            if (!_inbound.TryDequeue(out byte[]? frame))
            {
                return -1;
            }
            _receivingThreads.Add(Environment.CurrentManagedThreadId);
            int length = Math.Min(frame.Length, buffer.Length);
            frame.AsSpan(0, length).CopyTo(buffer);
            return length;
        }
    }

    public bool TrySend(ReadOnlySpan<byte> frame)
    {
        if (SendError is { } errno)
        {
            throw new LinuxException("write(fake tap)", (int)errno);
        }
        if (Full)
        {
            return false;
        }
        lock (_sync)
        {
            _sent.Add(frame.ToArray());
            _sendingThreads.Add(Environment.CurrentManagedThreadId);
        }
        return true;
    }

    public void SetReceiveOffloads(TunOffloads offloads)
    {
        lock (_sync)
        {
            _offloads.Add(offloads);
        }
    }

    private T Locked<T>(Func<T> read)
    {
        lock (_sync)
        {
            return read();
        }
    }

    public void Dispose()
    {
        IsDisposed = true;
        _ready.Dispose();
    }
}
