using System.Buffers.Binary;
using System.Net.NetworkInformation;
using System.Runtime.InteropServices;
using KataSharp.Vmm.Memory;
using KataSharp.Vmm.Virtio;
using KataSharp.Vmm.Virtio.Devices.Net;

namespace KataSharp.Vmm.Tests.Virtio.Support;

/// <summary>
/// A guest virtio-net driver over <see cref="FakeDriver"/>: posts RX buffers, sends frames on TX, and reads
/// what the device returned (a used entry shorter than a header is an error and skipped, as the device's
/// way of returning a chain unused; num_buffers says how many entries a frame spans).
/// </summary>
internal sealed class FakeNetGuest : IDisposable
{
    public const ulong AllFeatures = ulong.MaxValue;

    public static readonly PhysicalAddress GuestMac = PhysicalAddress.Parse("02:00:00:00:00:02");

    private readonly Dictionary<ushort, List<(GuestAddress Address, uint Length)>> _rxBuffers = [];

    /// <param name="features">What the driver accepts (intersected with what the device offers).</param>
    public FakeNetGuest(INetBackend backend, ulong features = AllFeatures, ushort queueSize = 64, ushort? mtu = null, Action<string>? log = null)
    {
        Backend = backend;
        Driver = new FakeDriver(loop => new NetDevice("net-test", new NetOptions(GuestMac, mtu), backend, loop, log ?? (_ => { })));
        ulong offered = Driver.ReadDeviceFeatures();
        Driver.Initialize((features & offered) | VirtioFeatures.Version1, queueSize);
    }

    public FakeDriver Driver { get; }

    public INetBackend Backend { get; }

    public NetDevice Device => (NetDevice)Driver.Device;

    public NetMetrics Metrics => Device.Metrics;

    public FakeQueue Rx => Driver.Queues[0];

    public FakeQueue Tx => Driver.Queues[1];

    /// <summary>Posts one device-writable buffer of <paramref name="size"/> bytes (no kick).</summary>
    public ushort PostRx(uint size) => PostRxChain(size);

    /// <summary>Posts one RX chain made of buffers of these sizes (no kick).</summary>
    public ushort PostRxChain(params uint[] sizes)
    {
        var pieces = sizes.Select(size => (Address: Driver.Allocate(Math.Max(size, 1u)), Length: size)).ToList();
        ushort head = Rx.AddChain(pieces.Select(p => (p.Address.Value, p.Length, true)).ToArray());
        _rxBuffers[head] = pieces;
        return head;
    }

    public void KickRx() => Driver.Notify(0);

    /// <summary>Sends <paramref name="frame"/> (header included) split into readable buffers of the given
    /// sizes (the rest in one last buffer), and kicks TX.</summary>
    public ushort Send(byte[] frame, params int[] split)
    {
        var buffers = new List<(ulong, uint, bool)>();
        int offset = 0;
        foreach (int size in split.Append(frame.Length))
        {
            int length = Math.Min(size, frame.Length - offset);
            if (length <= 0 && buffers.Count > 0)
            {
                continue;
            }
            GuestAddress at = Driver.Allocate((ulong)Math.Max(length, 1));
            Driver.Memory.Write(at, frame.AsSpan(offset, length));
            buffers.Add((at.Value, (uint)length, false));
            offset += length;
        }
        ushort head = Tx.AddChain(buffers.ToArray());
        Driver.Notify(1);
        return head;
    }

    /// <summary>The frames the device completed since the last call.</summary>
    public List<ReceivedFrame> TakeFrames()
    {
        var frames = new List<ReceivedFrame>();
        var used = new Queue<(uint Id, uint Length)>(Rx.TakeUsed());
        while (used.TryDequeue(out var first))
        {
            byte[] bytes = Contents((ushort)first.Id, first.Length);
            if (bytes.Length < NetHeader.Size)
            {
                frames.Add(new ReceivedFrame(default, [], 0, Skipped: true));
                continue;
            }
            NetHeader header = MemoryMarshal.Read<NetHeader>(bytes);
            var data = new List<byte>(bytes.Skip(NetHeader.Size));
            int buffers = (Device.AckedFeatures & NetFeatures.MrgRxbuf) != 0 ? header.NumBuffers : 1;
            for (int i = 1; i < buffers && used.TryDequeue(out var next); i++)
            {
                data.AddRange(Contents((ushort)next.Id, next.Length));
            }
            frames.Add(new ReceivedFrame(header, data.ToArray(), buffers, Skipped: false));
        }
        return frames;
    }

    /// <summary>Waits until the device has completed RX entries up to <paramref name="usedIdx"/>.</summary>
    public void WaitForRxUsed(ushort usedIdx) => Driver.WaitForUsed(0, usedIdx);

    private byte[] Contents(ushort head, uint length)
    {
        var bytes = new List<byte>();
        if (length == 0)
        {
            return [];
        }
        foreach (var (address, size) in _rxBuffers[head])
        {
            int take = (int)Math.Min(size, length - (uint)bytes.Count);
            bytes.AddRange(Driver.Memory.GetSpan(address, take).ToArray());
            if (bytes.Count == length)
            {
                break;
            }
        }
        return bytes.ToArray();
    }

    /// <summary>A virtio_net_hdr_v1 followed by <paramref name="ethernet"/>.</summary>
    public static byte[] WithHeader(byte[] ethernet, NetHeader header = default)
    {
        var frame = new byte[NetHeader.Size + ethernet.Length];
        MemoryMarshal.Write(frame, in header);
        ethernet.CopyTo(frame, NetHeader.Size);
        return frame;
    }

    /// <summary>An Ethernet frame to us from a host MAC, ethertype 0x88b5 (local experimental), with a payload
    /// of <paramref name="payloadLength"/> bytes numbered from <paramref name="seed"/>.</summary>
    public static byte[] Ethernet(int payloadLength, int seed = 0, PhysicalAddress? destination = null)
    {
        var frame = new byte[14 + payloadLength];
        (destination ?? GuestMac).GetAddressBytes().CopyTo(frame, 0);
        PhysicalAddress.Parse("02:00:00:00:00:01").GetAddressBytes().CopyTo(frame, 6);
        BinaryPrimitives.WriteUInt16BigEndian(frame.AsSpan(12), 0x88b5);
        for (int i = 0; i < payloadLength; i++)
        {
            frame[14 + i] = (byte)(seed + i * 7);
        }
        return frame;
    }

    public void Dispose() => Driver.Dispose();
}

/// <summary>One frame as the guest driver would see it (<see cref="Skipped"/>: a chain returned unused).</summary>
internal sealed record ReceivedFrame(NetHeader Header, byte[] Ethernet, int Buffers, bool Skipped);
