using KataSharp.Vmm.Devices.Legacy;
using Xunit;

namespace KataSharp.Vmm.Tests.Legacy;

public sealed class SmallLegacyDeviceTests
{
    [Fact]
    public void The_i8042_resets_on_0xFE_and_answers_what_a_driver_probes()
    {
        int resets = 0;
        var i8042 = new I8042Controller(() => resets++);

        Assert.Equal(0, Read(i8042, I8042Controller.CommandOffset) & 0x03); // both buffers empty
        i8042.Write(I8042Controller.CommandOffset, [I8042Controller.CommandSelfTest]);
        Assert.Equal(I8042Controller.StatusOutputFull, Read(i8042, I8042Controller.CommandOffset) & I8042Controller.StatusOutputFull);
        Assert.Equal(I8042Controller.SelfTestPassed, Read(i8042, I8042Controller.DataOffset));

        i8042.Write(I8042Controller.CommandOffset, [I8042Controller.CommandWriteCommandByte]);
        i8042.Write(I8042Controller.DataOffset, [0x61]);
        i8042.Write(I8042Controller.CommandOffset, [I8042Controller.CommandReadCommandByte]);
        Assert.Equal(0x61, Read(i8042, I8042Controller.DataOffset));
        Assert.Equal(0, resets);

        i8042.Write(I8042Controller.CommandOffset, [I8042Controller.CommandPulseReset]);
        Assert.Equal(1, resets);
    }

    [Fact]
    public void The_RTC_reports_the_clock_in_BCD_24_hour_with_a_good_battery()
    {
        var rtc = new CmosRtc(() => new DateTime(2026, 11, 27, 23, 59, 58, DateTimeKind.Utc));
        byte Register(int index)
        {
            rtc.Write(0, [(byte)(0x80 | index)]); // bit 7 (NMI mask) must not matter
            return Read(rtc, 1);
        }
        Assert.Equal(0x58, Register(CmosRtc.Seconds));
        Assert.Equal(0x59, Register(CmosRtc.Minutes));
        Assert.Equal(0x23, Register(CmosRtc.Hours));
        Assert.Equal(0x27, Register(CmosRtc.DayOfMonth));
        Assert.Equal(0x11, Register(CmosRtc.Month));
        Assert.Equal(0x26, Register(CmosRtc.Year));
        Assert.Equal(0x20, Register(CmosRtc.Century));
        Assert.Equal(0, Register(CmosRtc.StatusA) & 0x80);
        Assert.Equal(CmosRtc.StatusB24Hour, Register(CmosRtc.StatusB));
        Assert.Equal(CmosRtc.StatusDValid, Register(CmosRtc.StatusD));

        rtc.Write(0, [0x40]);
        rtc.Write(1, [0x77]);
        Assert.Equal(0x77, Register(0x40));
        rtc.Write(0, [CmosRtc.Seconds]);
        rtc.Write(1, [0x00]); // the clock is not writable
        Assert.Equal(0x58, Register(CmosRtc.Seconds));
    }

    [Fact]
    public void An_absent_device_floats_high_and_ignores_writes()
    {
        AbsentDevice.Instance.Write(0, [1, 2, 3, 4]);
        var data = new byte[4];
        AbsentDevice.Instance.Read(0, data);
        Assert.Equal([0xFF, 0xFF, 0xFF, 0xFF], data);
    }

    private static byte Read(KataSharp.Vmm.Devices.IBusDevice device, ulong offset)
    {
        var b = new byte[1];
        device.Read(offset, b);
        return b[0];
    }
}
