using KataSharp.Linux.Files;
using KataSharp.Linux.Memory;

namespace KataSharp.Vmm.Kvm.Interop;

/// <summary>
/// A vCPU's mmapped <c>kvm_run</c> page. The only code that dereferences it: everything else sees
/// fields and bounds-checked spans. The data of an I/O exit lives at a kernel-chosen offset inside
/// the mapping; that offset is checked against the mapping size before a span is handed out.
/// </summary>
public sealed unsafe class KvmRunArea : IDisposable
{
    private readonly MemoryMapping _mapping;

    public KvmRunArea(FileDescriptor vcpu, int mmapSize)
    {
        if (mmapSize < sizeof(kvm_run))
        {
            throw new ArgumentOutOfRangeException(nameof(mmapSize), mmapSize, $"KVM_GET_VCPU_MMAP_SIZE is smaller than kvm_run ({sizeof(kvm_run)})");
        }
        _mapping = MemoryMapping.MapShared(vcpu, (ulong)mmapSize, 0, "kvm_run");
    }

    private kvm_run* Run => (kvm_run*)_mapping.Address;

    public uint ExitReason => Volatile.Read(ref Run->exit_reason);

    public kvm_run.io_exit Io => Run->io;

    public kvm_run.fail_entry_exit FailEntry => Run->fail_entry;

    public kvm_run.ex_exit Exception => Run->ex;

    public ulong HardwareExitReason => Run->hw.hardware_exit_reason;

    public ulong MmioAddress => Run->mmio.phys_addr;

    public bool MmioIsWrite => Run->mmio.is_write != 0;

    public uint SystemEventType => Run->system_event.type;

    public uint InternalSuberror => Run->@internal.suberror;

    /// <summary>The extra words of an internal error (at most 16, as many as KVM filled in).</summary>
    public ulong[] InternalData()
    {
        uint n = Math.Min(Run->@internal.ndata, 16u);
        var data = new ulong[n];
        for (int i = 0; i < n; i++)
        {
            data[i] = Run->@internal.data[i];
        }
        return data;
    }

    /// <summary>Set before a kick so a vCPU about to enter KVM_RUN returns at once (KVM_CAP_IMMEDIATE_EXIT).</summary>
    public bool ImmediateExit
    {
        get => Volatile.Read(ref Run->immediate_exit) != 0;
        set => Volatile.Write(ref Run->immediate_exit, value ? (byte)1 : (byte)0);
    }

    /// <summary>The bytes of the current I/O exit: <c>size * count</c> bytes at <c>data_offset</c>.</summary>
    public Span<byte> IoData()
    {
        kvm_run.io_exit io = Run->io;
        ulong length = (ulong)io.size * io.count;
        if (length > _mapping.Length)
        {
            throw new InvalidOperationException($"KVM reported an I/O exit of {length} bytes, more than the kvm_run mapping");
        }
        return _mapping.AsSpan(io.data_offset, (int)length);
    }

    /// <summary>The data bytes of the current MMIO exit (at most 8).</summary>
    public Span<byte> MmioData() => new(Run->mmio.data, (int)Math.Min(Run->mmio.len, 8u));

    public void Dispose() => _mapping.Dispose();
}
