using KataSharp.Linux.Files;
using KataSharp.Linux.Network;

namespace KataSharp.Vmm.Virtio.Devices.Net;

/// <summary>
/// Where a virtio-net device's frames go and come from: a tap (<see cref="TapBackend"/>) or a test's fake.
/// Every frame both ways is a 12-byte virtio_net_hdr followed by the Ethernet frame. Called on the event
/// loop thread with the device lock held; never blocks.
/// </summary>
public interface INetBackend : IDisposable
{
    /// <summary>Becomes readable when frames arrive; the event loop watches it edge-triggered, so the device
    /// reads until <see cref="TryReceive"/> says nothing is left (or until the guest has no room).</summary>
    FileDescriptor ReadinessDescriptor { get; }

    /// <summary>Takes the next frame into <paramref name="buffer"/> and returns its length; a frame that does not
    /// fit is consumed and truncated to buffer.Length (as a tap read does), so a buffer one byte longer than
    /// the largest acceptable frame tells an oversized one. -1 when none is waiting. Throws
    /// <see cref="KataSharp.Linux.LinuxException"/> on a failed read.</summary>
    int TryReceive(Span<byte> buffer);

    /// <summary>Sends one frame; false when the backend cannot take it now (it is not sent). Throws
    /// <see cref="KataSharp.Linux.LinuxException"/> on a failed write (EIO: the tap is down).</summary>
    bool TrySend(ReadOnlySpan<byte> frame);

    /// <summary>The offloads the guest accepted, i.e. what the backend may hand us from now on.</summary>
    void SetReceiveOffloads(TunOffloads offloads);
}
