namespace KataSharp.Vmm.Devices.Legacy;

/// <summary>
/// The MC146818 CMOS/RTC at ports 0x70 (index; bit 7 is the NMI mask) and 0x71 (data), so a guest
/// reading the wall clock before kvmclock gets the host's UTC time in BCD, 24-hour mode, with the
/// "update in progress" bit clear and the battery good. Other CMOS bytes are plain storage.
/// </summary>
public sealed class CmosRtc : IBusDevice
{
    public const ulong PortCount = 2;
    public const int Seconds = 0x00;
    public const int Minutes = 0x02;
    public const int Hours = 0x04;
    public const int Weekday = 0x06;
    public const int DayOfMonth = 0x07;
    public const int Month = 0x08;
    public const int Year = 0x09;
    public const int StatusA = 0x0A;
    public const int StatusB = 0x0B;
    public const int StatusC = 0x0C;
    public const int StatusD = 0x0D;
    public const int Century = 0x32;

    /// <summary>Status B: 24-hour mode, BCD (bit 2 clear).</summary>
    public const byte StatusB24Hour = 0x02;

    /// <summary>Status D: valid RAM and time (battery good).</summary>
    public const byte StatusDValid = 0x80;

    private readonly object _gate = new();
    private readonly byte[] _storage = new byte[128];
    private readonly Func<DateTime> _utcNow;
    private int _index;

    public CmosRtc(Func<DateTime>? utcNow = null)
    {
        _utcNow = utcNow ?? (() => DateTime.UtcNow);
        _storage[StatusA] = 0x26; // 32.768 kHz time base, 1024 Hz rate; UIP clear
        _storage[StatusB] = StatusB24Hour;
        _storage[StatusD] = StatusDValid;
    }

    public void Read(ulong offset, Span<byte> data)
    {
        if (data.IsEmpty)
        {
            return;
        }
        data.Fill(0xFF);
        if (offset != 1)
        {
            return;
        }
        lock (_gate)
        {
            data[0] = Register(_index);
        }
    }

    public void Write(ulong offset, ReadOnlySpan<byte> data)
    {
        if (data.IsEmpty)
        {
            return;
        }
        lock (_gate)
        {
            if (offset == 0)
            {
                _index = data[0] & 0x7F;
            }
            else if (offset == 1 && _index is not (StatusC or StatusD) && !IsClock(_index))
            {
                _storage[_index] = data[0];
            }
        }
    }

    private static bool IsClock(int index) => index is Seconds or Minutes or Hours or Weekday or DayOfMonth or Month or Year or Century;

    private byte Register(int index)
    {
        DateTime now = _utcNow();
        return index switch
        {
            Seconds => Bcd(now.Second),
            Minutes => Bcd(now.Minute),
            Hours => Bcd(now.Hour),
            Weekday => Bcd((int)now.DayOfWeek + 1),
            DayOfMonth => Bcd(now.Day),
            Month => Bcd(now.Month),
            Year => Bcd(now.Year % 100),
            Century => Bcd(now.Year / 100),
            _ => _storage[index],
        };
    }

    private static byte Bcd(int value) => (byte)(((value / 10) << 4) | (value % 10));
}
