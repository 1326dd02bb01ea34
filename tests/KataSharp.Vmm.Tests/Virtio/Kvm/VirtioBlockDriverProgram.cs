using Iced.Intel;
using KataSharp.Vmm.Tests.Support;
using KataSharp.Vmm.Virtio;
using KataSharp.Vmm.Virtio.Queue;
using KataSharp.Vmm.Virtio.Transport;
using static Iced.Intel.AssemblerRegisters;

namespace KataSharp.Vmm.Tests.Virtio.Kvm;

/// <summary>What a hostile request does wrong (<see cref="None"/> = a well-formed read).</summary>
public enum Hostility
{
    None,
    DescriptorBeyondRam,
    WrappingLength,
    LoopingChain,
    HugeIndirectTable,
    QueueSizeNotPowerOfTwo,
}

/// <summary>
/// A minimal polled virtio-mmio block driver as guest code: checks magic/version/device id, walks the
/// status handshake, accepts VERSION_1 (and INDIRECT_DESC), sets up queue 0 in guest RAM, submits a read
/// of one sector (header, data, status in three descriptors), kicks QueueNotify and polls used.idx until a deadline
/// (<see cref="GuestProgram.HostWaitTicks"/>).
/// Reports, in order: the status after DRIVER_OK, then per request the used length, the status byte and
/// the first 8 data bytes. Exit codes name the step that failed.
/// </summary>
public static class VirtioBlockDriverProgram
{
    public const ulong MmioBase = 0xD000_0000;
    public const ulong Sector = 5;
    public const ushort QueueSize = 8;

    /// <summary>Where the data lands; deliberately preset so an untouched buffer is recognisable.</summary>
    public const ulong DataPreset = 0x5A5A_5A5A_5A5A_5A5A;
    public const byte StatusPreset = 0xFF;

    private const ulong Desc = 0x20_0000;
    private const ulong Avail = 0x20_1000;
    private const ulong Used = 0x20_2000;
    private const ulong Header = 0x20_3000;
    private const ulong Data = 0x20_4000;
    private const ulong Status = 0x20_5000;
    private const ulong IndirectTable = 0x20_6000;

    public const byte ExitBadMagic = 1;
    public const byte ExitBadVersion = 2;
    public const byte ExitBadDeviceId = 3;
    public const byte ExitFeaturesRefused = 4;
    public const byte ExitNoCompletion = 5;

    public static void Emit(Assembler a, Hostility hostility)
    {
        Label fail = a.CreateLabel();
        a.mov(rbx, MmioBase);
        CheckRegister(a, MmioRegister.MagicValue, MmioRegister.Magic, ExitBadMagic);
        CheckRegister(a, MmioRegister.Version, 2, ExitBadVersion);
        CheckRegister(a, MmioRegister.DeviceId, (uint)VirtioDeviceType.Block, ExitBadDeviceId);

        int requests = 0;
        if (hostility == Hostility.QueueSizeNotPowerOfTwo)
        {
            Initialize(a, queueSize: 6, indirect: false);   // reported status shows DEVICE_NEEDS_RESET
            Initialize(a, QueueSize, indirect: false);      // a reset and a correct setup bring it back
        }
        else
        {
            Initialize(a, QueueSize, indirect: hostility == Hostility.HugeIndirectTable);
            if (hostility != Hostility.None)
            {
                Request(a, requests++, hostility);
            }
        }
        Request(a, requests, Hostility.None);
        a.Exit(0);
    }

    private static void CheckRegister(Assembler a, uint offset, uint expected, byte exitCode)
    {
        Label ok = a.CreateLabel();
        a.cmp(__dword_ptr[rbx + (int)offset], expected);
        a.je(ok);
        a.Exit(exitCode);
        a.Label(ref ok);
    }

    private static void WriteRegister(Assembler a, uint offset, uint value) => a.mov(__dword_ptr[rbx + (int)offset], value);

    private static void Initialize(Assembler a, ushort queueSize, bool indirect)
    {
        WriteRegister(a, MmioRegister.Status, 0);
        WriteRegister(a, MmioRegister.Status, (uint)DeviceStatus.Acknowledge);
        WriteRegister(a, MmioRegister.Status, (uint)(DeviceStatus.Acknowledge | DeviceStatus.Driver));
        WriteRegister(a, MmioRegister.DriverFeaturesSel, 1);
        WriteRegister(a, MmioRegister.DriverFeatures, 1); // VERSION_1 (bit 32)
        WriteRegister(a, MmioRegister.DriverFeaturesSel, 0);
        WriteRegister(a, MmioRegister.DriverFeatures, indirect ? (uint)VirtioFeatures.RingIndirectDesc : 0);
        WriteRegister(a, MmioRegister.Status, (uint)(DeviceStatus.Acknowledge | DeviceStatus.Driver | DeviceStatus.FeaturesOk));
        Label featuresOk = a.CreateLabel();
        a.test(__dword_ptr[rbx + (int)MmioRegister.Status], (uint)DeviceStatus.FeaturesOk);
        a.jnz(featuresOk);
        a.Exit(ExitFeaturesRefused);
        a.Label(ref featuresOk);
        WriteRegister(a, MmioRegister.QueueSel, 0);
        WriteRegister(a, MmioRegister.QueueNum, queueSize);
        WriteRegister(a, MmioRegister.QueueDescLow, (uint)Desc);
        WriteRegister(a, MmioRegister.QueueDescHigh, 0);
        WriteRegister(a, MmioRegister.QueueDriverLow, (uint)Avail);
        WriteRegister(a, MmioRegister.QueueDriverHigh, 0);
        WriteRegister(a, MmioRegister.QueueDeviceLow, (uint)Used);
        WriteRegister(a, MmioRegister.QueueDeviceHigh, 0);
        WriteRegister(a, MmioRegister.QueueReady, 1);
        WriteRegister(a, MmioRegister.Status, (uint)(DeviceStatus.Acknowledge | DeviceStatus.Driver | DeviceStatus.FeaturesOk | DeviceStatus.DriverOk));
        a.mov(eax, __dword_ptr[rbx + (int)MmioRegister.Status]);
        a.ReportRax();
    }

    private static void Descriptor(Assembler a, int index, ulong address, uint length, DescriptorFlags flags, ushort next)
    {
        ulong entry = Desc + 16UL * (ulong)index;
        a.mov(rax, address);
        a.mov(__qword_ptr[entry], rax);
        a.mov(__dword_ptr[entry + 8], length);
        a.mov(__word_ptr[entry + 12], (ushort)flags);
        a.mov(__word_ptr[entry + 14], next);
    }

    private static void Request(Assembler a, int number, Hostility hostility)
    {
        a.mov(__dword_ptr[Header], 0u); // VIRTIO_BLK_T_IN
        a.mov(__dword_ptr[Header + 4], 0u);
        a.mov(rax, Sector);
        a.mov(__qword_ptr[Header + 8], rax);
        a.mov(rax, DataPreset);
        a.mov(__qword_ptr[Data], rax);
        a.mov(__byte_ptr[Status], StatusPreset);

        Descriptor(a, 0, Header, 16, DescriptorFlags.Next, 1);
        switch (hostility)
        {
            case Hostility.DescriptorBeyondRam:
                Descriptor(a, 1, 0x4000_0000, 512, DescriptorFlags.Write | DescriptorFlags.Next, 2); // RAM is 64 MiB
                break;
            case Hostility.WrappingLength:
                Descriptor(a, 1, 0xFFFF_FFFF_FFFF_F000, 0x2000, DescriptorFlags.Write | DescriptorFlags.Next, 2);
                break;
            case Hostility.HugeIndirectTable:
                Descriptor(a, 0, IndirectTable, 0xFFFF_FFF0, DescriptorFlags.Indirect, 0); // ~268 million entries
                break;
            default:
                Descriptor(a, 1, Data, 512, DescriptorFlags.Write | DescriptorFlags.Next, 2);
                break;
        }
        bool loops = hostility == Hostility.LoopingChain;
        Descriptor(a, 2, Status, 1, DescriptorFlags.Write | (loops ? DescriptorFlags.Next : 0), 0);

        ushort slot = (ushort)(number % QueueSize);
        a.mov(__word_ptr[Avail + 4 + 2UL * slot], (ushort)0);
        a.mov(__word_ptr[Avail + 2], (ushort)(number + 1));
        WriteRegister(a, MmioRegister.QueueNotify, 0);

        // The device completes on the VMM's event loop, on another host thread: wait for used.idx
        // with a deadline in time (TSC), not a count of iterations, which a slow host (nested TCG)
        // can run through before the device thread is even scheduled.
        Label poll = a.CreateLabel();
        Label done = a.CreateLabel();
        a.StartDeadline(r9, GuestProgram.HostWaitTicks);
        a.Label(ref poll);
        a.movzx(eax, __word_ptr[Used + 2]);
        a.cmp(eax, number + 1);
        a.je(done);
        a.pause();
        a.JumpBeforeDeadline(r9, poll);
        a.Exit(ExitNoCompletion);
        a.Label(ref done);

        a.mov(eax, __dword_ptr[Used + 4 + 8UL * slot + 4]);
        a.ReportRax();
        a.movzx(eax, __byte_ptr[Status]);
        a.ReportRax();
        a.mov(rax, __qword_ptr[Data]);
        a.ReportRax();
    }
}
