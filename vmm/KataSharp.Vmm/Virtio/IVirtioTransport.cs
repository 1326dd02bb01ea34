namespace KataSharp.Vmm.Virtio;

/// <summary>
/// What a device asks of the transport it sits behind (virtio-mmio here; the device never sees a
/// register). Called with the device lock held.
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

    /// <summary>Schedules another turn for <paramref name="queueIndex"/> (the device yielded with work left).</summary>
    void RequeueNotification(int queueIndex);
}
