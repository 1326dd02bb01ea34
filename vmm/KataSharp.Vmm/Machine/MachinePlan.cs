using KataSharp.Vmm.Boot;

namespace KataSharp.Vmm.Machine;

/// <summary>A validated machine configuration: what <see cref="MachineBuilder"/> hands to <see cref="VirtualMachine"/>.</summary>
internal sealed record MachinePlan(
    KernelImage Kernel,
    InitrdImage? Initrd,
    ulong InitrdAddress,
    KernelCmdline Cmdline,
    int VcpuCount,
    ulong MemoryBytes,
    Stream? Console,
    Action<string> Log,
    TimeSpan StopTimeout);
