using System.Runtime.InteropServices;
using KataSharp.Linux;
using KataSharp.Linux.Events;
using KataSharp.Linux.Files;
using KataSharp.Linux.Network;
using KataSharp.Vmm.Virtio.Devices.Net;

namespace KataSharp.Fuzz.Targets;

/// <summary>
/// An in-memory tap (no /dev/net/tun, no root) that behaves as badly as a real one may: frames for the guest of
/// hostile lengths and vnet headers, generated into the device's read buffer and truncated to it as a tap read
/// truncates; a queue of a tap's default length whose overflow is dropped, as the kernel drops; writes that find
/// the tap full or fail with the errnos a tap write returns; reads and TUNSETOFFLOAD that fail. Every frame the
/// device writes and every offload set it asks for is checked against what the guest negotiated. All calls come
/// from the fuzz thread (the manual event loop), and its own <see cref="Random"/> is seeded, so a seed replays.
/// </summary>
internal sealed class FuzzTap : INetBackend
{
    /// <summary>A tap's default txqueuelen: frames the kernel queues for the VMM before it drops.</summary>
    public const int QueueLength = 1000;

    private const string CallName = "fuzz tap";
    private const int RandomBlockBytes = 4096;

    private static readonly Errno[] SendErrors = [Errno.EIO, Errno.EBADFD, Errno.EINVAL, Errno.ENOMEM, Errno.EFAULT, Errno.EAGAIN, Errno.EMSGSIZE];
    private static readonly Errno[] ReceiveErrors = [Errno.EIO, Errno.EBADFD, Errno.EFAULT, Errno.EINVAL, Errno.EAGAIN];

    private readonly Random _random;
    private readonly EventFd _ready = EventFd.Create();
    private readonly Queue<Frame> _inbound = new();

    public FuzzTap(int seed) => _random = new Random(seed ^ 0x7A9_0F5E);

    /// <summary>The features the guest acked, read at each write (set by the target once the device exists).</summary>
    public Func<ulong> AckedFeatures { get; set; } = () => 0;

    /// <summary>Percent of writes answered "full" (EAGAIN: the frame is not sent).</summary>
    public int FullPercent { get; set; }

    /// <summary>Percent of writes, reads and offload changes that fail with an errno.</summary>
    public int ErrorPercent { get; set; }

    public FileDescriptor ReadinessDescriptor => _ready.Descriptor;

    public int Pending => _inbound.Count;

    public long Queued { get; private set; }

    /// <summary>Frames dropped because the tap's queue was full (the kernel's drop, not the device's).</summary>
    public long QueueDrops { get; private set; }

    /// <summary>Frames the device read.</summary>
    public long Handed { get; private set; }

    public long Sent { get; private set; }

    public long SentBytes { get; private set; }

    public long AnsweredFull { get; private set; }

    /// <summary>Write errors the device must count as a dropped frame (EIO, EBADFD: link down; EINVAL: refused header).</summary>
    public long SendErrorsAsDrops { get; private set; }

    /// <summary>Write and read errors the device must count in <see cref="NetMetrics.BackendErrors"/>.</summary>
    public long CountedErrors { get; private set; }

    /// <summary>TUNSETOFFLOAD failures: a backend error on reset, a refused activation on DRIVER_OK.</summary>
    public long OffloadErrors { get; private set; }

    public LinuxException? LastOffloadFailure { get; private set; }

    /// <summary>The first rule the device broke towards the tap, or null.</summary>
    public string? Violation { get; private set; }

    public bool IsDisposed { get; private set; }

    /// <summary>Queues a frame of <paramref name="length"/> bytes (vnet header included; any length, even beyond
    /// what a read can return) with <paramref name="header"/> and a payload made by <paramref name="fill"/>.</summary>
    public void Enqueue(int length, NetHeader header, FrameFill fill, ushort value)
    {
        if (_inbound.Count >= QueueLength)
        {
            QueueDrops++;
            return;
        }
        _inbound.Enqueue(new Frame(length, header, fill, value));
        Queued++;
        _ready.Signal();
    }

    /// <summary>Forgets the frames still queued (what a tap does when its interface goes down).</summary>
    public void Flush() => _inbound.Clear();

    public int TryReceive(Span<byte> buffer)
    {
        Fail("read", ReceiveErrors, counted: _ => true);
        if (!_inbound.TryDequeue(out Frame frame))
        {
            return -1;
        }
        Handed++;
        int n = Math.Min(frame.Length, buffer.Length);
        Span<byte> bytes = buffer[..n];
        Span<byte> header = stackalloc byte[NetHeader.Size];
        NetHeader vnet = frame.Header;
        MemoryMarshal.Write(header, in vnet);
        int headerBytes = Math.Min(NetHeader.Size, n);
        header[..headerBytes].CopyTo(bytes);
        Span<byte> payload = bytes[headerBytes..];
        switch (frame.Fill)
        {
            case FrameFill.Zeros:
                payload.Clear();
                break;
            case FrameFill.Random:
                // Random bytes for the first block, then that block again: big frames stay cheap to make.
                Span<byte> block = payload[..Math.Min(payload.Length, RandomBlockBytes)];
                _random.NextBytes(block);
                for (int at = block.Length; at < payload.Length; at += block.Length)
                {
                    block[..Math.Min(block.Length, payload.Length - at)].CopyTo(payload[at..]);
                }
                break;
            default:
                payload.Fill((byte)frame.Value);
                MemoryMarshal.Cast<byte, ushort>(payload).Fill(frame.Value);
                break;
        }
        return n;
    }

    public bool TrySend(ReadOnlySpan<byte> frame)
    {
        Violation ??= CheckSent(frame, AckedFeatures());
        if (_random.Next(100) < FullPercent)
        {
            AnsweredFull++;
            return false;
        }
        Fail("write", SendErrors, counted: errno => errno is not (Errno.EIO or Errno.EBADFD or Errno.EINVAL));
        Sent++;
        SentBytes += frame.Length - NetHeader.Size;
        return true;
    }

    public void SetReceiveOffloads(TunOffloads offloads)
    {
        TunOffloads allowed = NetDevice.OffloadsFor(AckedFeatures());
        if ((offloads & ~allowed) != 0)
        {
            Violation ??= $"the device set tap offloads {offloads}, but the guest's features 0x{AckedFeatures():x} allow only {allowed}";
        }
        if (_random.Next(100) < ErrorPercent)
        {
            OffloadErrors++;
            LastOffloadFailure = new LinuxException($"ioctl(TUNSETOFFLOAD, {CallName})", (int)Errno.EINVAL);
            throw LastOffloadFailure;
        }
    }

    /// <summary>Is this host log line about an error this tap made on purpose?</summary>
    public static bool IsInjectedErrorLine(string line) => line.Contains(CallName, StringComparison.Ordinal);

    /// <summary>With <see cref="ErrorPercent"/> chance, throws one of <paramref name="errors"/> as the tap would.</summary>
    private void Fail(string call, Errno[] errors, Func<Errno, bool> counted)
    {
        if (_random.Next(100) >= ErrorPercent)
        {
            return;
        }
        Errno errno = errors[_random.Next(errors.Length)];
        if (counted(errno))
        {
            CountedErrors++;
        }
        else
        {
            SendErrorsAsDrops++;
        }
        throw new LinuxException($"{call}({CallName})", (int)errno);
    }

    /// <summary>What a frame written to the tap must be: within <see cref="NetLimits"/>, num_buffers zero, and only
    /// offloads the guest negotiated (the tap would honour any it is given).</summary>
    private static string? CheckSent(ReadOnlySpan<byte> frame, ulong acked)
    {
        if (frame.Length < NetHeader.Size + NetLimits.MinFrameBytes || frame.Length > NetLimits.MaxBufferedBytes)
        {
            return $"the device wrote a {frame.Length}-byte frame to the tap (allowed {NetHeader.Size + NetLimits.MinFrameBytes}..{NetLimits.MaxBufferedBytes})";
        }
        NetHeader header = MemoryMarshal.Read<NetHeader>(frame);
        if (header.NumBuffers != 0)
        {
            return $"the device wrote a frame with num_buffers {header.NumBuffers} to the tap";
        }
        if ((header.Flags & ~NetHeader.FlagNeedsCsum) != 0 || (header.Flags != 0 && (acked & NetFeatures.Csum) == 0))
        {
            return $"the device wrote a frame with header flags 0x{header.Flags:x2} to the tap, features 0x{acked:x}";
        }
        ulong needed = header.GsoType switch
        {
            NetHeader.GsoNone => 0,
            NetHeader.GsoTcpV4 => NetFeatures.HostTso4,
            NetHeader.GsoTcpV6 => NetFeatures.HostTso6,
            _ => ulong.MaxValue,
        };
        return (acked & needed) == needed ? null : $"the device wrote a frame with GSO type 0x{header.GsoType:x2} to the tap, features 0x{acked:x}";
    }

    public void Dispose()
    {
        IsDisposed = true;
        _ready.Dispose();
    }

    private readonly record struct Frame(int Length, NetHeader Header, FrameFill Fill, ushort Value);
}
