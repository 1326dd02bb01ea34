namespace KataSharp.Vmm.Virtio;

/// <summary>
/// What a device asks of the transport it sits behind (virtio-mmio here; the device never sees a
/// register). Called with the device lock held, except <see cref="ReportInternalError"/>.
/// </summary>
public interface IVirtioTransport
{
    /// <summary>Raises a used-buffer interrupt.</summary>
    void SignalUsedBuffers();

    /// <summary>Bumps the config generation and, when <paramref name="raiseInterrupt"/>, raises a config-change
    /// interrupt so the guest re-reads the config space.</summary>
    void SignalConfigChanged(bool raiseInterrupt);

    /// <summary>Sets DEVICE_NEEDS_RESET after a fatal guest error and tells the guest with a config interrupt.</summary>
    void SetNeedsReset(string reason);

    /// <summary>A device bug caught on a device's own thread (a block worker), where the transport's own guard does not
    /// reach: counted like the ones the transport contains, and the device parked (DEVICE_NEEDS_RESET).</summary>
    void ReportInternalError(Exception error, string what);

    /// <summary>The eventfd the guest's notifications of <paramref name="queueIndex"/> signal (the KVM ioeventfd), for a
    /// device that hands the queue to an in-kernel consumer (vhost's kick).</summary>
    KataSharp.Linux.Files.FileDescriptor QueueNotifyDescriptor(int queueIndex);

    /// <summary>Schedules another turn for <paramref name="queueIndex"/> (the device yielded with work left).</summary>
    void RequeueNotification(int queueIndex);
}
