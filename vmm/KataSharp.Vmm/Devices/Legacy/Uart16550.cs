namespace KataSharp.Vmm.Devices.Legacy;

/// <summary>
/// An 8250/16550A UART (the guest console on COM1). Transmission is instant, so THR is always
/// empty and LSR always shows THRE|TEMT; bytes go to the <c>transmit</c> sink in the order the
/// guest wrote them. Interrupt-driven like the real chip: receive-data-available when IER bit 0 is
/// set and the RX FIFO holds data, THR-empty when IER bit 1 is set (raised again after each THR
/// write and whenever the guest enables the bit, which Linux's THRE test relies on, and cleared by
/// reading IIR). Loopback (MCR bit 4) feeds THR back into RBR and reflects MCR into MSR, which
/// Linux's port detection checks. The RX FIFO holds at most <see cref="RxFifoCapacity"/> bytes;
/// input beyond that is refused (the caller retries), so a host cannot grow VMM memory.
/// </summary>
public sealed class Uart16550 : IBusDevice
{
    public const ulong RegisterCount = 8;
    public const int RxFifoCapacity = 64;

    // Register offsets.
    public const int Data = 0;           // RBR (read) / THR (write); DLL when DLAB
    public const int InterruptEnable = 1; // IER; DLM when DLAB
    public const int InterruptId = 2;    // IIR (read) / FCR (write)
    public const int LineControl = 3;
    public const int ModemControl = 4;
    public const int LineStatus = 5;
    public const int ModemStatus = 6;
    public const int Scratch = 7;

    public const byte IerReceivedData = 0x01;
    public const byte IerThrEmpty = 0x02;
    public const byte IerMask = 0x0F;

    public const byte IirNoInterrupt = 0x01;
    public const byte IirThrEmpty = 0x02;
    public const byte IirReceivedData = 0x04;
    public const byte IirFifosEnabled = 0xC0;

    public const byte FcrEnableFifo = 0x01;
    public const byte FcrClearRx = 0x02;

    public const byte LcrDivisorLatch = 0x80;

    public const byte McrDtr = 0x01;
    public const byte McrRts = 0x02;
    public const byte McrOut1 = 0x04;
    public const byte McrOut2 = 0x08;
    public const byte McrLoopback = 0x10;

    public const byte LsrDataReady = 0x01;
    public const byte LsrOverrun = 0x02;
    public const byte LsrThrEmpty = 0x20;
    public const byte LsrTransmitterEmpty = 0x40;

    public const byte MsrCts = 0x10;
    public const byte MsrDsr = 0x20;
    public const byte MsrRi = 0x40;
    public const byte MsrDcd = 0x80;

    private readonly object _gate = new();
    private readonly IInterruptLine _interrupt;
    private readonly Action<byte> _transmit;
    private readonly Queue<byte> _rx = new();
    private byte _ier;
    private byte _lcr = 0x03;          // 8N1
    private byte _mcr = McrOut2;
    private byte _scratch;
    private ushort _divisor = 12;      // 9600 baud
    private bool _fifoEnabled;
    private bool _thrEmptyPending;
    private bool _overrun;

    /// <param name="interrupt">The UART's IRQ (4 for COM1).</param>
    /// <param name="transmit">Receives every byte the guest sends, in order; called on a vCPU thread.</param>
    public Uart16550(IInterruptLine interrupt, Action<byte> transmit)
    {
        _interrupt = interrupt;
        _transmit = transmit;
    }

    /// <summary>Queues bytes for the guest to read; returns how many fit in the RX FIFO.</summary>
    public int EnqueueInput(ReadOnlySpan<byte> input)
    {
        bool raise;
        int accepted;
        lock (_gate)
        {
            accepted = Math.Min(input.Length, RxFifoCapacity - _rx.Count);
            foreach (byte b in input[..accepted])
            {
                _rx.Enqueue(b);
            }
            raise = accepted > 0 && (_ier & IerReceivedData) != 0;
        }
        if (raise)
        {
            _interrupt.Trigger();
        }
        return accepted;
    }

    public void Read(ulong offset, Span<byte> data)
    {
        if (data.IsEmpty)
        {
            return;
        }
        data.Clear();
        lock (_gate)
        {
            data[0] = ReadRegister(offset);
        }
    }

    public void Write(ulong offset, ReadOnlySpan<byte> data)
    {
        if (data.IsEmpty)
        {
            return;
        }
        bool raise;
        byte transmitted;
        bool hasOutput;
        lock (_gate)
        {
            (raise, hasOutput, transmitted) = WriteRegister(offset, data[0]);
        }
        if (hasOutput)
        {
            _transmit(transmitted);
        }
        if (raise)
        {
            _interrupt.Trigger();
        }
    }

    private bool DivisorLatch => (_lcr & LcrDivisorLatch) != 0;

    private bool Loopback => (_mcr & McrLoopback) != 0;

    private byte ReadRegister(ulong offset)
    {
        switch (offset)
        {
            case Data when DivisorLatch:
                return (byte)_divisor;
            case Data:
                return _rx.Count > 0 ? _rx.Dequeue() : (byte)0;
            case InterruptEnable when DivisorLatch:
                return (byte)(_divisor >> 8);
            case InterruptEnable:
                return _ier;
            case InterruptId:
                byte iir = PendingInterrupt();
                if (iir == IirThrEmpty)
                {
                    _thrEmptyPending = false; // reading IIR acknowledges THR-empty
                }
                return (byte)(iir | (_fifoEnabled ? IirFifosEnabled : 0));
            case LineControl:
                return _lcr;
            case ModemControl:
                return _mcr;
            case LineStatus:
                byte lsr = (byte)(LsrThrEmpty | LsrTransmitterEmpty | (_rx.Count > 0 ? LsrDataReady : 0) | (_overrun ? LsrOverrun : 0));
                _overrun = false;
                return lsr;
            case ModemStatus:
                return ModemStatusValue();
            case Scratch:
                return _scratch;
            default:
                return 0xFF;
        }
    }

    private (bool Raise, bool HasOutput, byte Output) WriteRegister(ulong offset, byte value)
    {
        switch (offset)
        {
            case Data when DivisorLatch:
                _divisor = (ushort)((_divisor & 0xFF00) | value);
                return default;
            case Data:
                bool raise = false;
                if (Loopback)
                {
                    raise = ReceiveLooped(value);
                }
                _thrEmptyPending = true; // sent at once: THR is empty again
                raise |= (_ier & IerThrEmpty) != 0;
                return (raise, !Loopback, value);
            case InterruptEnable when DivisorLatch:
                _divisor = (ushort)((_divisor & 0x00FF) | (value << 8));
                return default;
            case InterruptEnable:
                byte enabled = (byte)(value & IerMask);
                bool thrNewlyEnabled = (enabled & IerThrEmpty) != 0 && (_ier & IerThrEmpty) == 0;
                bool rxNewlyEnabled = (enabled & IerReceivedData) != 0 && (_ier & IerReceivedData) == 0 && _rx.Count > 0;
                _ier = enabled;
                if (thrNewlyEnabled)
                {
                    _thrEmptyPending = true; // THR is always empty: enabling the interrupt raises it
                }
                return (thrNewlyEnabled || rxNewlyEnabled, false, 0);
            case InterruptId:
                _fifoEnabled = (value & FcrEnableFifo) != 0;
                if ((value & FcrClearRx) != 0)
                {
                    _rx.Clear();
                }
                return default;
            case LineControl:
                _lcr = value;
                return default;
            case ModemControl:
                _mcr = (byte)(value & 0x1F);
                return default;
            case Scratch:
                _scratch = value;
                return default;
            default:
                return default; // LSR and MSR are read-only
        }
    }

    private bool ReceiveLooped(byte value)
    {
        if (_rx.Count >= RxFifoCapacity)
        {
            _overrun = true;
            return false;
        }
        _rx.Enqueue(value);
        return (_ier & IerReceivedData) != 0;
    }

    /// <summary>The highest-priority pending interrupt's IIR identification (RX data before THR empty).</summary>
    private byte PendingInterrupt()
    {
        if ((_ier & IerReceivedData) != 0 && _rx.Count > 0)
        {
            return IirReceivedData;
        }
        if ((_ier & IerThrEmpty) != 0 && _thrEmptyPending)
        {
            return IirThrEmpty;
        }
        return IirNoInterrupt;
    }

    /// <summary>Outside loopback the modem lines say "connected" (CTS, DSR, DCD); in loopback
    /// they mirror MCR: RTS→CTS, DTR→DSR, OUT1→RI, OUT2→DCD.</summary>
    private byte ModemStatusValue()
    {
        if (!Loopback)
        {
            return MsrCts | MsrDsr | MsrDcd;
        }
        byte msr = 0;
        msr |= (_mcr & McrRts) != 0 ? MsrCts : (byte)0;
        msr |= (_mcr & McrDtr) != 0 ? MsrDsr : (byte)0;
        msr |= (_mcr & McrOut1) != 0 ? MsrRi : (byte)0;
        msr |= (_mcr & McrOut2) != 0 ? MsrDcd : (byte)0;
        return msr;
    }
}
