using KataSharp.Vmm.Devices;
using KataSharp.Vmm.Devices.Bus;
using Xunit;

namespace KataSharp.Vmm.Tests.Legacy;

public sealed class DeviceBusTests
{
    private readonly List<string> _log = [];
    private readonly DeviceBus _bus;

    public DeviceBusTests() => _bus = new DeviceBus("MMIO", _log.Add);

    [Fact]
    public void Accesses_reach_the_device_with_offsets_relative_to_its_base()
    {
        var a = new Echo(0xA0);
        var b = new Echo(0xB0);
        _bus.Add(0x2000, 0x100, b, "b");
        _bus.Add(0x1000, 0x100, a, "a");

        var data = new byte[2];
        _bus.Read(0x1010, data);
        _bus.Write(0x20FF, [7]);

        Assert.Equal([0xA0, 0x10], data);
        Assert.Equal([(0xFFUL, (byte)7)], b.Writes);
        Assert.Same(a, _bus.Find(0x10FF)!.Device);
        Assert.Null(_bus.Find(0x1100));
        Assert.Empty(_log);
    }

    [Theory]
    [InlineData(0x1000, 0x100)]
    [InlineData(0x0F00, 0x101)]
    [InlineData(0x10FF, 1)]
    public void Overlapping_ranges_are_refused_naming_both_devices(ulong start, ulong size)
    {
        _bus.Add(0x1000, 0x100, new Echo(0), "first");
        ArgumentException e = Assert.Throws<ArgumentException>(() => _bus.Add(start, size, new Echo(0), "second"));
        Assert.Contains("first", e.Message);
        Assert.Contains("second", e.Message);
    }

    [Fact]
    public void Empty_or_wrapping_ranges_are_refused()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => _bus.Add(0x1000, 0, new Echo(0), "empty"));
        Assert.Throws<ArgumentOutOfRangeException>(() => _bus.Add(ulong.MaxValue - 1, 4, new Echo(0), "wraps"));
    }

    [Fact]
    public void Unclaimed_reads_are_all_ones_and_each_address_is_logged_once_up_to_a_cap()
    {
        var data = new byte[4];
        _bus.Read(0x5000, data);
        _bus.Read(0x5000, data);
        _bus.Write(0x5000, [1]);
        Assert.Equal([0xFF, 0xFF, 0xFF, 0xFF], data);
        Assert.Single(_log);
        Assert.Contains("MMIO 0x5000", _log[0]);

        for (ulong a = 0; a < 1000; a++)
        {
            _bus.Write(0x10_0000 + a, [0]);
        }
        Assert.Equal(64, _log.Count);
        Assert.Contains("not logged", _log[^1]);
    }

    private sealed class Echo(byte tag) : IBusDevice
    {
        public List<(ulong, byte)> Writes { get; } = [];

        public void Read(ulong offset, Span<byte> data)
        {
            data[0] = tag;
            if (data.Length > 1)
            {
                data[1] = (byte)offset;
            }
        }

        public void Write(ulong offset, ReadOnlySpan<byte> data) => Writes.Add((offset, data[0]));
    }
}
