namespace KataSharp.Vmm.Devices.Legacy;

/// <summary>
/// Just enough of the PS/2 keyboard controller for a guest to reboot the machine: the status
/// port reads "both buffers empty" (so Linux's kb_wait finishes at once) and command 0xFE
/// (pulse the CPU reset line) calls <c>onReset</c>, which stops the VM. The command byte can be
/// read and written, and the self-test answers 0x55, so a probing driver sees a sane controller.
/// The device sits at ports 0x60-0x64: offset 0 is the data port and offset 4 the status/command port.
/// </summary>
public sealed class I8042Controller : IBusDevice
{
    public const ulong PortCount = 5;
    public const ulong DataOffset = 0;
    public const ulong CommandOffset = 4;

    public const byte CommandReadCommandByte = 0x20;
    public const byte CommandWriteCommandByte = 0x60;
    public const byte CommandSelfTest = 0xAA;
    public const byte CommandPulseReset = 0xFE;

    public const byte StatusOutputFull = 0x01;
    public const byte StatusSystemFlag = 0x04;
    public const byte SelfTestPassed = 0x55;

    private readonly object _gate = new();
    private readonly Action _onReset;
    private byte _commandByte = 0x45; // translate, system flag, keyboard interrupt enabled
    private byte? _output;
    private bool _expectCommandByte;

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
                    data[0] = _output ?? 0;
                    _output = null;
                    break;
                case CommandOffset:
                    data[0] = (byte)(StatusSystemFlag | (_output.HasValue ? StatusOutputFull : 0));
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
                case DataOffset when _expectCommandByte:
                    _commandByte = data[0];
                    _expectCommandByte = false;
                    break;
                case CommandOffset:
                    switch (data[0])
                    {
                        case CommandReadCommandByte:
                            _output = _commandByte;
                            break;
                        case CommandWriteCommandByte:
                            _expectCommandByte = true;
                            break;
                        case CommandSelfTest:
                            _output = SelfTestPassed;
                            break;
                        case CommandPulseReset:
                            reset = true;
                            break;
                    }
                    break;
            }
        }
        if (reset)
        {
            _onReset();
        }
    }
}
