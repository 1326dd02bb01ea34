namespace KataSharp.Vmm.Lifecycle;

/// <summary>Why a VM stopped, in terms a caller can act on.</summary>
public enum VmExitReason
{
    /// <summary>The guest reset the machine (i8042 pulse with <c>reboot=k</c>, or a KVM reset event): a clean reboot.</summary>
    GuestReset,

    /// <summary>The guest powered off (a KVM shutdown system event).</summary>
    GuestPowerOff,

    /// <summary>The guest triple-faulted (KVM_EXIT_SHUTDOWN): a crash, unless it rebooted with <c>reboot=t</c>.</summary>
    GuestShutdown,

    /// <summary>The guest kernel panicked (seen on the console before the <c>panic=-1</c> reboot, or a KVM crash event).</summary>
    GuestPanic,

    /// <summary>The host asked the VM to stop.</summary>
    HostStop,

    /// <summary>The VMM could not go on: a KVM error, an exit it cannot handle, or a device failure.</summary>
    VmmError,
}
