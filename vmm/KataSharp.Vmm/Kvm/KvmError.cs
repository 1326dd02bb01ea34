namespace KataSharp.Vmm.Kvm;

/// <summary>Why KVM cannot be used here; each has its own fix in the exception message.</summary>
public enum KvmError
{
    /// <summary>/dev/kvm does not exist.</summary>
    DeviceMissing,

    /// <summary>/dev/kvm exists but this user may not open it.</summary>
    PermissionDenied,

    /// <summary>The device answered with an API version other than 12.</summary>
    ApiVersionMismatch,

    /// <summary>A capability the VMM relies on is not offered.</summary>
    CapabilityMissing,

    /// <summary>A KVM call failed in a way that means this VM cannot be built or run.</summary>
    CallFailed,
}
