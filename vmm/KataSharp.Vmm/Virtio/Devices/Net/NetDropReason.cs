namespace KataSharp.Vmm.Virtio.Devices.Net;

/// <summary>Why a frame was dropped (<see cref="NetMetrics.Dropped"/>).</summary>
public enum NetDropReason
{
    /// <summary>From the tap: longer than <see cref="NetLimits.MaxFrameBytes"/> (read truncated).</summary>
    RxOversized,

    /// <summary>From the tap: shorter than a virtio_net_hdr and an Ethernet header.</summary>
    RxRunt,

    /// <summary>From the tap: a checksum or segmentation offload the guest did not accept (queued in the tap
    /// before the guest reset the device with other features).</summary>
    RxOffloadNotAccepted,

    /// <summary>Bigger than the guest's posted buffer (without MRG_RXBUF) or than its whole RX ring.</summary>
    RxNoRoom,

    /// <summary>The guest's RX chain was malformed (returned unused; the frame is lost with it).</summary>
    RxBadChain,

    /// <summary>Held for the guest when the driver reset the device.</summary>
    RxDeviceReset,

    /// <summary>A TX chain too short for a header and an Ethernet header, or with device-writable buffers.</summary>
    TxMalformedChain,

    /// <summary>A TX frame longer than <see cref="NetLimits.MaxFrameBytes"/>.</summary>
    TxOversized,

    /// <summary>A TX header asking for an offload the guest did not negotiate, or an unknown GSO type.</summary>
    TxBadHeader,

    /// <summary>The tap refused the frame for now (EAGAIN).</summary>
    TxBackendFull,

    /// <summary>The tap is down (EIO) or gone; the frame had nowhere to go.</summary>
    TxLinkDown,
}
