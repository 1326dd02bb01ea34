using KataSharp.Linux;

namespace KataSharp.Confinement;

/// <summary>
/// What the confined VMM process builds and how it confines itself, written by the shim into the sandbox's state
/// directory and read by the child before it confines itself. Descriptors are the child's numbers: the shim maps them
/// (<see cref="VmmDescriptors"/>).
/// </summary>
public sealed record VmmProcessSpec
{
    /// <summary>The shim's build: the VMM process refuses a spec from another build (the two binaries are installed
    /// side by side, and a half-finished upgrade must fail the sandbox with a clear error, not speak a changed channel).</summary>
    public required BuildVersion Build { get; init; }

    public required string Kernel { get; init; }

    public string? Initrd { get; init; }

    public required string Cmdline { get; init; }

    public int Vcpus { get; init; }

    public int MemoryMib { get; init; }

    /// <summary>Empty, writable virtio-blk slots (media come later as descriptors).</summary>
    public int BlockSlots { get; init; }

    public uint GuestCid { get; init; }

    public IReadOnlyList<VmmNetSpec> Nets { get; init; } = [];

    /// <summary>The directory that becomes the VMM's root (its vsock socket is bound there first).</summary>
    public required string Root { get; init; }

    public uint Uid { get; init; }

    public uint Gid { get; init; }

    /// <summary>"kill", "log" or "off".</summary>
    public string Seccomp { get; init; } = "kill";

    /// <summary>Whether the control channel accepts the test-only "forbidden-syscall" command (KATASHARP_TEST_HOOKS=1 in the
    /// shim's environment).</summary>
    public bool TestHooks { get; init; }
}

/// <summary>One virtio-net device on an inherited tap descriptor.</summary>
public sealed record VmmNetSpec(string Name, string Mac, int TapFd, int Mtu, bool Vhost);
