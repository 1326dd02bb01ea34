using KataSharp.Vmm.Boot;
using KataSharp.Vmm.Kvm;

namespace KataSharp.Vmm.Machine;

/// <summary>
/// Configures and builds a <see cref="VirtualMachine"/>. <see cref="Build"/> checks everything
/// first — vCPU count, memory size, kernel, initrd, command line, /dev/kvm and its capabilities —
/// and only then creates the VM, so bad input never leaves anything behind.
/// </summary>
public sealed class MachineBuilder
{
    public const int MinMemoryMiB = 64;
    public const int MaxVcpus = 64;
    public const int DefaultMemoryMiB = 128;

    /// <summary>How long stopping waits for a vCPU thread (and disposing for the event loop) by default.</summary>
    public static readonly TimeSpan DefaultStopTimeout = TimeSpan.FromSeconds(10);

    private string? _kernel;
    private string? _initrd;
    private string _cmdline = KernelCmdline.Default;
    private int _vcpus = 1;
    private int _memoryMiB = DefaultMemoryMiB;
    private Stream? _console;
    private Action<string> _log = message => Console.Error.WriteLine($"[katasharp-vmm] {message}");
    private string _kvmDevice = KvmSystem.DefaultDevicePath;
    private TimeSpan _stopTimeout = DefaultStopTimeout;

    /// <summary>An uncompressed ELF vmlinux or a bzImage.</summary>
    public MachineBuilder WithKernel(string path)
    {
        _kernel = path;
        return this;
    }

    public MachineBuilder WithInitrd(string? path)
    {
        _initrd = path;
        return this;
    }

    /// <summary>Replaces the command line (default <see cref="KernelCmdline.Default"/>). Device entries are appended later.</summary>
    public MachineBuilder WithCmdline(string cmdline)
    {
        _cmdline = cmdline;
        return this;
    }

    public MachineBuilder WithVcpus(int count)
    {
        _vcpus = count;
        return this;
    }

    public MachineBuilder WithMemoryMiB(int mebibytes)
    {
        _memoryMiB = mebibytes;
        return this;
    }

    /// <summary>Where the guest console (COM1) goes; flushed at every newline. Null keeps only the tail.</summary>
    public MachineBuilder WithConsole(Stream? console)
    {
        _console = console;
        return this;
    }

    /// <summary>Where VMM notes go (unclaimed port accesses and the like). Default: stderr.</summary>
    public MachineBuilder WithLog(Action<string> log)
    {
        _log = log;
        return this;
    }

    /// <summary>How long <see cref="VirtualMachine.Stop"/> waits for the vCPU threads before reporting the ones still
    /// running and returning (default <see cref="DefaultStopTimeout"/>); also the bound on each wait for the I/O thread.</summary>
    public MachineBuilder WithStopTimeout(TimeSpan timeout)
    {
        _stopTimeout = timeout;
        return this;
    }

    public MachineBuilder WithKvmDevice(string path)
    {
        _kvmDevice = path;
        return this;
    }

    /// <summary>Validates the configuration and creates the VM in state <see cref="VmState.Created"/>.
    /// Throws <see cref="VmConfigException"/>, <see cref="BootException"/> or <see cref="KvmException"/> before creating anything.</summary>
    public VirtualMachine Build()
    {
        ValidateSizes();
        if (string.IsNullOrWhiteSpace(_kernel))
        {
            throw new VmConfigException("kernel", "no kernel given: set the kernel image (an uncompressed vmlinux or a bzImage).");
        }
        KernelImage kernel = KernelImage.Open(_kernel);
        InitrdImage? initrd = _initrd is null ? null : InitrdImage.Open(_initrd);
        var cmdline = new KernelCmdline(_cmdline);
        cmdline.ToBytes(kernel.CmdlineMaxLength);
        ulong memoryBytes = (ulong)_memoryMiB << 20;
        ulong initrdAddress = LinuxBoot.Plan(kernel, initrd, memoryBytes);

        using KvmSystem kvm = KvmSystem.Open(_kvmDevice);
        kvm.RequireCapabilities(KvmSystem.RequiredCapabilities);
        int kvmMax = kvm.MaxVcpus;
        if (_vcpus > kvmMax)
        {
            throw new VmConfigException("vcpus", $"{_vcpus} vCPUs requested but this host's KVM allows at most {kvmMax} per VM: use {kvmMax} or fewer.");
        }
        var plan = new MachinePlan(kernel, initrd, initrdAddress, cmdline, _vcpus, memoryBytes, _console, _log, _stopTimeout);
        return VirtualMachine.Create(kvm, plan);
    }

    private void ValidateSizes()
    {
        if (_stopTimeout <= TimeSpan.Zero || _stopTimeout > TimeSpan.FromMinutes(10))
        {
            throw new VmConfigException("stop-timeout", $"a stop timeout of {_stopTimeout.TotalSeconds:0.###} s is out of range: use more than 0 and at most 600 s.");
        }
        if (_vcpus < 1 || _vcpus > MaxVcpus)
        {
            throw new VmConfigException("vcpus", $"{_vcpus} vCPUs is out of range: use 1 to {MaxVcpus}.");
        }
        if (_memoryMiB < MinMemoryMiB)
        {
            throw new VmConfigException("memory", $"{_memoryMiB} MiB of guest memory is too little to boot Linux: use at least {MinMemoryMiB} MiB.");
        }
        long hostBytes = GC.GetGCMemoryInfo().TotalAvailableMemoryBytes;
        if ((long)_memoryMiB << 20 > hostBytes)
        {
            throw new VmConfigException("memory", $"{_memoryMiB} MiB of guest memory is more than this host has ({hostBytes >> 20} MiB): use less.");
        }
    }
}
