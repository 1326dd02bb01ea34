using System.Text;
using KataSharp.Vmm.Arch;
using KataSharp.Vmm.Boot;
using KataSharp.Vmm.Lifecycle;
using KataSharp.Vmm.Machine;
using KataSharp.Vmm.Tests.Support;
using Xunit;
using static Iced.Intel.AssemblerRegisters;

namespace KataSharp.Vmm.Tests.Programs;

/// <summary>
/// A program entered exactly like a Linux kernel reads back its CPU state and walks the zero
/// page RSI points at; the test compares each value with what the loader says it wrote.
/// </summary>
public sealed class BootStateProgramTests
{
    private const string Cmdline = "console=ttyS0 reboot=k panic=-1 katasharp.test=boot-state";

    [KvmFact]
    public void The_entry_state_and_boot_params_are_what_the_loader_intended()
    {
        using var files = new TempDirectory();
        byte[] initrdContent = Encoding.ASCII.GetBytes("07070100initrd-bytes-for-the-boot-state-test");
        string initrd = files.File("initrd.cpio", initrdContent);
        const int maxE820 = 8;

        using var run = ProgramRun.Start(a =>
        {
            a.pushfq(); a.pop(rax); a.ReportRax();                     // 0: rflags at entry, before anything changes them
            a.mov(rbx, rsi);
            a.Report(rsi);                                             // 1: zero page address
            a.mov(rax, cr0); a.ReportRax();                            // 2
            a.mov(rax, cr3); a.ReportRax();                            // 3
            a.mov(rax, cr4); a.ReportRax();                            // 4
            a.mov(ecx, 0xC000_0080);                                   // IA32_EFER
            a.rdmsr();
            a.shl(rdx, 32);
            a.or(rax, rdx);
            a.ReportRax();                                             // 5: EFER
            a.ReportDword(rbx, BootParamsLayout.Header);               // 6: "HdrS"
            a.movzx(eax, __word_ptr[rbx + BootParamsLayout.BootFlag]); a.ReportRax(); // 7
            a.ReportByte(rbx, BootParamsLayout.TypeOfLoader);          // 8
            a.ReportByte(rbx, BootParamsLayout.LoadFlags);             // 9
            a.ReportDword(rbx, BootParamsLayout.CmdLinePtr);           // 10
            a.ReportDword(rbx, BootParamsLayout.ExtCmdLinePtr);        // 11
            a.ReportDword(rbx, BootParamsLayout.RamdiskImage);         // 12
            a.ReportDword(rbx, BootParamsLayout.RamdiskSize);          // 13
            a.mov(eax, __dword_ptr[rbx + BootParamsLayout.RamdiskImage]);
            a.mov(rax, __qword_ptr[rax]); a.ReportRax();               // 14: first 8 initrd bytes, read in place
            a.ReportByte(rbx, BootParamsLayout.E820EntryCount);        // 15
            for (int i = 0; i < maxE820; i++)                          // 16..: addr, size, type per entry
            {
                int entry = BootParamsLayout.E820Table + i * E820Entry.EncodedSize;
                a.ReportQword(rbx, entry);
                a.ReportQword(rbx, entry + 8);
                a.ReportDword(rbx, entry + 16);
            }
            // The command line, byte by byte through the text port, read through cmd_line_ptr.
            a.mov(esi, __dword_ptr[rbx + BootParamsLayout.CmdLinePtr]);
            a.mov(dx, GuestProgram.TextPort);
            Iced.Intel.Label next = a.CreateLabel(), done = a.CreateLabel();
            a.Label(ref next);
            a.lodsb();
            a.test(al, al);
            a.jz(done);
            a.@out(dx, al);
            a.jmp(next);
            a.Label(ref done);
            a.Exit();
        }, builder => builder.WithCmdline(Cmdline).WithInitrd(initrd));

        VmExit exit = run.WaitForExit();
        Assert.Equal(VmExitReason.HostStop, exit.Reason);
        BootLayout layout = run.Machine.BootLayout!;
        IReadOnlyList<ulong> r = run.Reports; // indexed as in the program's comments

        Assert.Equal(ControlRegisters.RflagsReserved, r[0] & ~0x10000UL); // RF may be set by emulation
        Assert.Equal(X86Layout.ZeroPage, r[1]);
        Assert.Equal(BootCpuState.Cr0, r[2]);
        Assert.Equal(X86Layout.Pml4, r[3]);
        // KVM on AMD runs the guest with the host's CR4.MCE ORed in (svm_set_cr4) and lets the guest read
        // CR4 unintercepted, so the guest sees MCE whenever the host kernel enabled machine checks.
        const ulong Cr4Mce = 1UL << 6;
        Assert.Equal(BootCpuState.Cr4, r[4] & ~Cr4Mce);
        Assert.Equal(BootCpuState.Efer, r[5] & BootCpuState.Efer);
        Assert.Equal(SetupHeader.HeaderMagic, r[6]);
        Assert.Equal(SetupHeader.BootFlagMagic, r[7]);
        Assert.Equal(SetupHeader.LoaderUndefined, r[8]);
        Assert.Equal(SetupHeader.LoadedHigh, r[9] & SetupHeader.LoadedHigh);
        Assert.Equal(layout.CmdlineAddress, r[10] | (r[11] << 32));
        Assert.Equal(layout.InitrdAddress, r[12]);
        Assert.Equal((ulong)initrdContent.Length, r[13]);
        Assert.Equal(BitConverter.ToUInt64(initrdContent), r[14]);
        Assert.Equal(0UL, layout.InitrdAddress % 4096);
        Assert.True(layout.InitrdAddress > GuestProgram.LoadAddress);
        Assert.True(layout.InitrdAddress + layout.InitrdSize <= (ulong)MachineBuilder.MinMemoryMiB << 20);

        Assert.Equal((ulong)layout.E820.Count, r[15]);
        Assert.InRange(layout.E820.Count, 2, maxE820);
        for (int i = 0; i < layout.E820.Count; i++)
        {
            Assert.Equal(layout.E820[i].Address, r[16 + 3 * i]);
            Assert.Equal(layout.E820[i].Size, r[17 + 3 * i]);
            Assert.Equal((ulong)layout.E820[i].Type, r[18 + 3 * i]);
        }
        Assert.Equal(new E820Entry(0, X86Layout.EbdaStart, E820Type.Ram), layout.E820[0]);
        Assert.Equal(new E820Entry(X86Layout.HighMemoryStart, ((ulong)MachineBuilder.MinMemoryMiB << 20) - X86Layout.HighMemoryStart, E820Type.Ram), layout.E820[1]);

        Assert.Equal(Cmdline, run.Text);
        Assert.Equal(Cmdline, layout.Cmdline);
    }
}
