using KataSharp.Vmm.Lifecycle;
using Xunit;
using System.Text;
using KataSharp.Vmm.Arch;
using KataSharp.Vmm.Tests.Support;
using static Iced.Intel.AssemblerRegisters;

namespace KataSharp.Vmm.Tests.Programs;

/// <summary>Guest programs writing to COM1: the bytes reach the console stream in order.</summary>
public sealed class SerialProgramTests
{
    [KvmFact]
    public void Bytes_written_one_by_one_arrive_in_order()
    {
        const string message = "Hello from KataSharp!\n";
        var console = new MemoryStream();
        using var run = ProgramRun.Start(a =>
        {
            a.mov(dx, X86Layout.Com1Port);
            foreach (char c in message)
            {
                a.mov(al, (byte)c);
                a.@out(dx, al);
            }
            a.Exit();
        }, builder => builder.WithConsole(console));

        VmExit exit = run.WaitForExit();

        Assert.Equal(VmExitReason.HostStop, exit.Reason);
        Assert.Equal(message, Encoding.ASCII.GetString(console.ToArray()));
        Assert.Equal(message, run.Machine.ConsoleTail.Text());
    }

    [KvmFact]
    public void A_rep_outsb_string_arrives_whole_and_in_order()
    {
        // REP OUTSB makes KVM exit with count > 1: every byte of the batch must be delivered.
        byte[] message = Encoding.ASCII.GetBytes("0123456789abcdefghijklmnopqrstuvwxyz\n");
        var console = new MemoryStream();
        using var run = ProgramRun.Start(a =>
        {
            Iced.Intel.Label text = a.CreateLabel();
            a.lea(rsi, __[text]);
            a.mov(ecx, message.Length);
            a.mov(dx, X86Layout.Com1Port);
            a.rep.outsb();
            a.Exit();
            a.Label(ref text);
            a.db(message);
        }, builder => builder.WithConsole(console));

        run.WaitForExit();

        Assert.Equal(message, console.ToArray());
    }
}
