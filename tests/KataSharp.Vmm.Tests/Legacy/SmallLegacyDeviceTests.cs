using KataSharp.Vmm.Devices.Legacy;
using Xunit;

namespace KataSharp.Vmm.Tests.Legacy;

public sealed class SmallLegacyDeviceTests
{
    [Fact]
    public void The_i8042_resets_on_0xFE_and_answers_what_Linux_probes_without_timeouts()
    {
        int resets = 0;
        var i8042 = new I8042Controller(() => resets++);
        byte Status() => Read(i8042, I8042Controller.CommandOffset);
        void Command(byte c) => i8042.Write(I8042Controller.CommandOffset, [c]);

        Assert.Equal(I8042Controller.StatusSystemFlag | I8042Controller.StatusKeyboardUnlocked, Status()); // empty, unlocked
        Command(I8042Controller.CommandSelfTest);
        Assert.Equal(I8042Controller.StatusOutputFull, Status() & I8042Controller.StatusOutputFull);
        Assert.Equal(I8042Controller.SelfTestPassed, Read(i8042, I8042Controller.DataOffset));
        Assert.Equal(0, Status() & I8042Controller.StatusOutputFull);

        Command(I8042Controller.CommandWriteCtr);
        i8042.Write(I8042Controller.DataOffset, [0x61]);
        Command(I8042Controller.CommandAuxDisable);
        Command(I8042Controller.CommandReadCtr);
        Assert.Equal(0x61 | I8042Controller.CtrAuxDisabled, Read(i8042, I8042Controller.DataOffset));

        // AUX loopback: the byte comes back flagged as AUX data, as the driver's check requires.
        Command(I8042Controller.CommandAuxLoop);
        i8042.Write(I8042Controller.DataOffset, [0x5A]);
        Assert.Equal(I8042Controller.StatusOutputFull | I8042Controller.StatusAuxData, Status() & 0x21);
        Assert.Equal(0x5A, Read(i8042, I8042Controller.DataOffset));

        Command(I8042Controller.CommandKeyboardTest);
        Command(I8042Controller.CommandAuxTest);
        Assert.Equal(0, Read(i8042, I8042Controller.DataOffset));
        Assert.Equal(0, Read(i8042, I8042Controller.DataOffset));

        i8042.Write(I8042Controller.DataOffset, [0xF2]); // to the keyboard: nobody answers
        Assert.Equal(0, Status() & I8042Controller.StatusOutputFull);
        for (int i = 0; i < 100; i++)
        {
            Command(I8042Controller.CommandSelfTest); // a flood is capped
        }
        Assert.Equal(0, resets);

        Command(I8042Controller.CommandPulseReset);
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
