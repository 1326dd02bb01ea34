namespace KataSharp.Vmm.Devices.Bus;

/// <summary>
/// One address space (port I/O or MMIO) as sorted, non-overlapping ranges, each served by an
/// <see cref="IBusDevice"/>. vCPU threads look ranges up without locks (the array is replaced
/// whole on Add). An access nobody claims reads as all-ones, like a floating ISA/PCI bus, and is
/// logged once per address (up to a cap, so a probing guest cannot flood the log).
/// </summary>
public sealed class DeviceBus
{
    private const int MaxLoggedUnknownAddresses = 64;

    private readonly object _gate = new();
    private readonly HashSet<ulong> _loggedUnknown = [];
    private readonly Action<string> _log;
    private BusRange[] _ranges = [];

    public DeviceBus(string name, Action<string> log)
    {
        Name = name;
        _log = log;
    }

    /// <summary>"PIO" or "MMIO", for messages.</summary>
    public string Name { get; }

    public IReadOnlyList<BusRange> Ranges => Volatile.Read(ref _ranges);

    /// <summary>Claims [<paramref name="baseAddress"/>, +<paramref name="size"/>) for <paramref name="device"/>.
    /// Throws when the range is empty, wraps around, or overlaps a device already there.</summary>
    public void Add(ulong baseAddress, ulong size, IBusDevice device, string name)
    {
        ArgumentNullException.ThrowIfNull(device);
        if (size == 0 || baseAddress > ulong.MaxValue - size)
        {
            throw new ArgumentOutOfRangeException(nameof(size), $"{Name} range 0x{baseAddress:x} +0x{size:x} for {name} is empty or wraps around");
        }
        lock (_gate)
        {
            BusRange? clash = _ranges.FirstOrDefault(r => baseAddress < r.End && r.Base < baseAddress + size);
            if (clash is not null)
            {
                throw new ArgumentException(
                    $"{Name} range [0x{baseAddress:x}, 0x{baseAddress + size:x}) for {name} overlaps {clash.Name} at [0x{clash.Base:x}, 0x{clash.End:x})");
            }
            var ranges = _ranges.Append(new BusRange(baseAddress, size, device, name)).OrderBy(r => r.Base).ToArray();
            Volatile.Write(ref _ranges, ranges);
        }
    }

    /// <summary>The range containing <paramref name="address"/>, or null.</summary>
    public BusRange? Find(ulong address)
    {
        BusRange[] ranges = Volatile.Read(ref _ranges);
        int lo = 0, hi = ranges.Length - 1;
        while (lo <= hi)
        {
            int mid = (lo + hi) >>> 1;
            BusRange r = ranges[mid];
            if (address < r.Base)
            {
                hi = mid - 1;
            }
            else if (address >= r.End)
            {
                lo = mid + 1;
            }
            else
            {
                return r;
            }
        }
        return null;
    }

    /// <summary>Fills <paramref name="data"/> from the device at <paramref name="address"/>, or with 0xFF when there is none.</summary>
    public void Read(ulong address, Span<byte> data)
    {
        BusRange? range = Find(address);
        if (range is null)
        {
            data.Fill(0xFF);
            LogUnknown(address, data.Length, "read");
            return;
        }
        range.Device.Read(address - range.Base, data);
    }

    /// <summary>Hands <paramref name="data"/> to the device at <paramref name="address"/>; dropped when there is none.</summary>
    public void Write(ulong address, ReadOnlySpan<byte> data)
    {
        BusRange? range = Find(address);
        if (range is null)
        {
            LogUnknown(address, data.Length, "write");
            return;
        }
        range.Device.Write(address - range.Base, data);
    }

    private void LogUnknown(ulong address, int size, string access)
    {
        lock (_gate)
        {
            if (_loggedUnknown.Count >= MaxLoggedUnknownAddresses || !_loggedUnknown.Add(address))
            {
                return;
            }
            string more = _loggedUnknown.Count == MaxLoggedUnknownAddresses
                ? $" ({MaxLoggedUnknownAddresses} unclaimed addresses seen: further ones are not logged)"
                : "";
            _log($"guest {access} of {size} byte(s) at {Name} 0x{address:x}: no device there (reads as all-ones, writes ignored){more}");
        }
    }
}
