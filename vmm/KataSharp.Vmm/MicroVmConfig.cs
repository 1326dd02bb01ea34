using KataSharp.Vmm.DeviceManager;
using KataSharp.Vmm.Machine;

namespace KataSharp.Vmm;

/// <summary>
/// Everything a <see cref="MicroVm"/> is made of, as data: the boot files and sizes, where its console goes, and its
/// virtio devices in order (each becomes a virtio-mmio slot and a <c>virtio_mmio.device=</c> entry on the command line).
/// </summary>
public sealed record MicroVmConfig
{
    /// <summary>The guest kernel (an uncompressed vmlinux or a bzImage).</summary>
    public required string Kernel { get; init; }

    public string? Initrd { get; init; }

    /// <summary>The kernel command line; the devices' entries are appended to it.</summary>
    public string Cmdline { get; init; } = "";

    public int Vcpus { get; init; } = 1;

    public int MemoryMiB { get; init; } = MachineBuilder.DefaultMemoryMiB;

    /// <summary>Where the guest's serial console goes (written by a vCPU thread: it must not block), or nowhere.</summary>
    public Stream? Console { get; init; }

    /// <summary>The VMM's own diagnostics (debug level), or nowhere.</summary>
    public Action<string>? Log { get; init; }

    /// <summary>The devices, created in this order. A spec never created (the machine failed first) is abandoned:
    /// what it owns (a tap descriptor) is closed.</summary>
    public IReadOnlyList<VirtioDeviceSpec> Devices { get; init; } = [];
}
