namespace KataSharp.Vmm.Vhost.Interop;

/// <summary>
/// Constants from &lt;linux/vhost.h&gt; and &lt;linux/vhost_types.h&gt;, under their C names so the layout test can
/// compare every one with the header (it reads this class by reflection).
/// </summary>
public static class VhostConstants
{
    /// <summary>The ioctl type byte of every vhost request.</summary>
    public const uint VHOST_VIRTIO = 0xAF;

    /// <summary>A kick, call or backend descriptor of -1 unbinds it (stops vhost using the previous one).</summary>
    public const int VHOST_FILE_UNBIND = -1;

    /// <summary>Feature bit: vhost itself adds the virtio_net_hdr (we leave it clear: the tap keeps the header).</summary>
    public const int VHOST_NET_F_VIRTIO_NET_HDR = 27;

    /// <summary>Feature bit: dirty logging for live migration (never used here).</summary>
    public const int VHOST_F_LOG_ALL = 26;

    /// <summary>Mem-table region addresses and sizes must be multiples of this.</summary>
    public const int VHOST_PAGE_SIZE = 0x1000;
}
