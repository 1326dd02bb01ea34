namespace KataSharp.TestHost;

/// <summary>Where the test host runs commands.</summary>
public enum TestHostMode
{
    /// <summary>Inside an L1 guest (QEMU TCG with AMD SVM) whose /dev/kvm has hardware-virtualization semantics.</summary>
    Nested,

    /// <summary>Directly on this machine, which has VT-x/AMD-V and a hardware-backed /dev/kvm.</summary>
    Direct,
}
