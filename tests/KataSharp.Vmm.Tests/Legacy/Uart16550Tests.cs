using KataSharp.Vmm.Devices;
using KataSharp.Vmm.Devices.Legacy;
using Xunit;
using static KataSharp.Vmm.Devices.Legacy.Uart16550;

namespace KataSharp.Vmm.Tests.Legacy;

/// <summary>The UART's registers as Linux's 8250 driver drives them, without KVM.</summary>
public sealed class Uart16550Tests
{
    private readonly List<byte> _sent = [];
    private readonly Line _irq = new();
    private readonly Uart16550 _uart;

    public Uart16550Tests() => _uart = new Uart16550(_irq, _sent.Add);

    [Fact]
    public void Bytes_written_to_THR_are_sent_in_order_and_the_line_stays_ready()
    {
        foreach (byte b in "hello"u8.ToArray())
        {
            Assert.Equal(LsrThrEmpty | LsrTransmitterEmpty, In(LineStatus) & (LsrThrEmpty | LsrTransmitterEmpty));
            Out(Data, b);
        }
        Assert.Equal("hello"u8.ToArray(), _sent);
        Assert.Equal(0, _irq.Count); // no interrupt unless enabled
    }

    [Fact]
    public void The_divisor_latch_hides_THR_and_IER_while_DLAB_is_set()
    {
        Out(LineControl, LcrDivisorLatch | 0x03);
        Out(Data, 0x01);             // DLL
        Out(InterruptEnable, 0x00);  // DLM
        Assert.Equal(0x01, In(Data));
        Assert.Equal(0x00, In(InterruptEnable));
        Out(LineControl, 0x03);
        Assert.Empty(_sent);
        Assert.Equal(0, In(InterruptEnable));
    }

    [Fact]
    public void IER_keeps_only_the_four_interrupt_bits_and_scratch_keeps_anything()
    {
        Out(InterruptEnable, 0xFF);
        Assert.Equal(IerMask, In(InterruptEnable));
        Out(Scratch, 0xA5);
        Assert.Equal(0xA5, In(Scratch));
    }

    [Fact]
    public void Enabling_the_THR_interrupt_raises_it_and_reading_IIR_acknowledges_it()
    {
        Out(InterruptEnable, IerThrEmpty);
        Assert.Equal(1, _irq.Count);
        Assert.Equal(IirThrEmpty, In(InterruptId));
        Assert.Equal(IirNoInterrupt, In(InterruptId));

        // Linux's THRE test: disable and re-enable: raised again.
        Out(InterruptEnable, 0);
        Out(InterruptEnable, IerThrEmpty);
        Assert.Equal(IirThrEmpty, In(InterruptId));
        Assert.Equal(2, _irq.Count);

        Out(Data, (byte)'x'); // THR empties at once: raised again
        Assert.Equal(3, _irq.Count);
        Assert.Equal(IirThrEmpty, In(InterruptId));
    }

    [Fact]
    public void FIFO_enable_shows_in_the_top_IIR_bits_as_on_a_16550A()
    {
        Out(InterruptId, FcrEnableFifo);
        Assert.Equal(IirFifosEnabled | IirNoInterrupt, In(InterruptId));
        Out(InterruptId, 0);
        Assert.Equal(IirNoInterrupt, In(InterruptId));
    }

    [Fact]
    public void Loopback_mirrors_MCR_into_MSR_and_THR_into_RBR()
    {
        Out(ModemControl, McrLoopback | McrRts | McrOut2); // Linux's autoconfig check: expects 0x90
        Assert.Equal(0x90, In(ModemStatus) & 0xF0);
        Out(Data, 0x5A);
        Assert.Empty(_sent);
        Assert.Equal(LsrDataReady, In(LineStatus) & LsrDataReady);
        Assert.Equal(0x5A, In(Data));
        Out(ModemControl, McrOut2);
        Assert.Equal(MsrCts | MsrDsr | MsrDcd, In(ModemStatus));
    }

    [Fact]
    public void Input_sets_data_ready_raises_the_RX_interrupt_and_is_read_in_order()
    {
        Out(InterruptEnable, IerReceivedData);
        Assert.Equal(2, _uart.EnqueueInput("ab"u8));
        Assert.Equal(1, _irq.Count);
        Assert.Equal(IirReceivedData, In(InterruptId));
        Assert.Equal((byte)'a', In(Data));
        Assert.Equal((byte)'b', In(Data));
        Assert.Equal(0, In(LineStatus) & LsrDataReady);
        Assert.Equal(IirNoInterrupt, In(InterruptId));
    }

    [Fact]
    public void Input_beyond_the_FIFO_capacity_is_refused_for_the_caller_to_retry()
    {
        Assert.Equal(RxFifoCapacity, _uart.EnqueueInput(new byte[RxFifoCapacity + 10]));
        Assert.Equal(0, _uart.EnqueueInput(new byte[1]));
        In(Data);
        Assert.Equal(1, _uart.EnqueueInput(new byte[5]));
    }

    private byte In(int register)
    {
        Span<byte> b = stackalloc byte[1];
        _uart.Read((ulong)register, b);
        return b[0];
    }

    private void Out(int register, byte value) => _uart.Write((ulong)register, [value]);

    private sealed class Line : IInterruptLine
    {
        public int Count;

        public uint Irq => 4;

        public void Trigger() => Count++;
    }
}
