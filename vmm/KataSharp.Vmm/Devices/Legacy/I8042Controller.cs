namespace KataSharp.Vmm.Devices.Legacy;

/// <summary>
/// The PS/2 controller, with nothing plugged into it. Its real job here is the reboot path:
/// command 0xFE (pulse the CPU reset line, what Linux's <c>reboot=k</c> sends) calls <c>onReset</c>,
/// which stops the VM. The rest answers Linux's i8042 driver promptly, because every status poll
/// is a VM exit and a command left unanswered costs the driver 10,000 polls: the controller passes
/// its self-tests, the command byte (CTR) can be read and written, the AUX loopback echoes (so
/// the driver's AUX checks finish; with no AUX interrupt the driver then decides there is no
/// mouse port), and the status register reports the keyboard unlocked. Bytes sent to the
/// keyboard itself go nowhere, as with no keyboard attached. Ports 0x60 (data, offset 0) and
/// 0x64 (status/command, offset 4); the output buffer holds at most <see cref="OutputCapacity"/> bytes.
/// </summary>
public sealed class I8042Controller : IBusDevice
{
    public const ulong PortCount = 5;
    public const ulong DataOffset = 0;
    public const ulong CommandOffset = 4;
    public const int OutputCapacity = 16;

    public const byte CommandReadCtr = 0x20;
    public const byte CommandWriteCtr = 0x60;
    public const byte CommandAuxDisable = 0xA7;
    public const byte CommandAuxEnable = 0xA8;
    public const byte CommandAuxTest = 0xA9;
    public const byte CommandSelfTest = 0xAA;
    public const byte CommandKeyboardTest = 0xAB;
    public const byte CommandKeyboardDisable = 0xAD;
    public const byte CommandKeyboardEnable = 0xAE;
    public const byte CommandAuxLoop = 0xD3;
    public const byte CommandPulseReset = 0xFE;

    public const byte StatusOutputFull = 0x01;
    public const byte StatusSystemFlag = 0x04;
    public const byte StatusKeyboardUnlocked = 0x10;
    public const byte StatusAuxData = 0x20;

    public const byte CtrKeyboardDisabled = 0x10;
    public const byte CtrAuxDisabled = 0x20;

    public const byte SelfTestPassed = 0x55;
    public const byte InterfaceTestPassed = 0x00;

    private readonly object _gate = new();
    private readonly Action _onReset;
    private readonly Queue<(byte Value, bool Aux)> _output = new();
    private byte _ctr = 0x45; // translate, system flag, keyboard interrupt enabled
    private byte? _pendingCommand;

    public I8042Controller(Action onReset) => _onReset = onReset;

    public void Read(ulong offset, Span<byte> data)
    {
        if (data.IsEmpty)
        {
            return;
        }
        data.Fill(0xFF);
        lock (_gate)
        {
            switch (offset)
            {
                case DataOffset:
                    data[0] = _output.TryDequeue(out var next) ? next.Value : (byte)0;
                    break;
                case CommandOffset:
                    byte status = StatusSystemFlag | StatusKeyboardUnlocked;
                    if (_output.TryPeek(out var head))
                    {
                        status |= (byte)(StatusOutputFull | (head.Aux ? StatusAuxData : 0));
                    }
                    data[0] = status;
                    break;
            }
        }
    }

    public void Write(ulong offset, ReadOnlySpan<byte> data)
    {
        if (data.IsEmpty)
        {
            return;
        }
        bool reset = false;
        lock (_gate)
        {
            switch (offset)
            {
                case DataOffset:
                    WriteData(data[0]);
                    break;
                case CommandOffset:
                    reset = Command(data[0]);
                    break;
            }
        }
        if (reset)
        {
            _onReset();
        }
    }

    /// <summary>A data byte is the parameter of the last command, or else meant for the (absent) keyboard.</summary>
    private void WriteData(byte value)
    {
        byte? command = _pendingCommand;
        _pendingCommand = null;
        switch (command)
        {
            case CommandWriteCtr:
                _ctr = value;
                break;
            case CommandAuxLoop:
                Push(value, aux: true);
                break;
        }
    }

    /// <summary>Executes a controller command; true when it asks for a CPU reset.</summary>
    private bool Command(byte command)
    {
        _pendingCommand = null;
        switch (command)
        {
            case CommandReadCtr:
                Push(_ctr, aux: false);
                break;
            case CommandWriteCtr:
            case CommandAuxLoop:
                _pendingCommand = command;
                break;
            case CommandAuxDisable:
                _ctr |= CtrAuxDisabled;
                break;
            case CommandAuxEnable:
                _ctr &= unchecked((byte)~CtrAuxDisabled);
                break;
            case CommandKeyboardDisable:
                _ctr |= CtrKeyboardDisabled;
                break;
            case CommandKeyboardEnable:
                _ctr &= unchecked((byte)~CtrKeyboardDisabled);
                break;
            case CommandSelfTest:
                Push(SelfTestPassed, aux: false);
                break;
            case CommandAuxTest:
            case CommandKeyboardTest:
                Push(InterfaceTestPassed, aux: false);
                break;
            case CommandPulseReset:
                return true;
        }
        return false;
    }

    private void Push(byte value, bool aux)
    {
        if (_output.Count < OutputCapacity)
        {
            _output.Enqueue((value, aux));
        }
    }
}
