namespace KataSharp.Vmm.Boot;

/// <summary>What is wrong with the boot inputs.</summary>
public enum BootError
{
    KernelMissing,
    NotAKernel,
    UnsupportedKernel,
    KernelDoesNotFit,
    InitrdMissing,
    InitrdDoesNotFit,
    CmdlineInvalid,
}
