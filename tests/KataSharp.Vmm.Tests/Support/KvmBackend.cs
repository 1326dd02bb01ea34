namespace KataSharp.Vmm.Tests.Support;

/// <summary>
/// Which of KVM's hardware back ends serves /dev/kvm here, for the few guest-visible behaviours in
/// which they differ (see the tests that ask).
/// </summary>
public static class KvmBackend
{
    /// <summary>
    /// True when kvm_amd (AMD SVM) serves /dev/kvm: its module is loaded (only one vendor module can
    /// be) and no PVM module (kvm_pvm) is, which would serve /dev/kvm without SVM.
    /// </summary>
    public static bool IsAmdSvm => Directory.Exists("/sys/module/kvm_amd") && !Directory.Exists("/sys/module/kvm_pvm");
}
