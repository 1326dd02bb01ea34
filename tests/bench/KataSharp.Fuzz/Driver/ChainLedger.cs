namespace KataSharp.Fuzz.Driver;

/// <summary>
/// The driver's record of the chains it published on one queue and has not had back, so a target can check
/// every used-ring entry: it must name a chain the driver posted (and not already returned), and claim no more
/// bytes written than the chain's device-writable buffers hold. Trusted only while the driver's view of the
/// queue is the device's: a reset, a register write that may change queue state, an avail.idx jump, rings the
/// device itself may write into, or a queue set up at a stray address end the trust until the next probe.
/// </summary>
internal sealed class ChainLedger
{
    private readonly List<Posted> _outstanding = [];
    private long[] _owner = [];
    private long _serial;

    /// <summary>False while the driver's view of the queue may differ from the device's (checks are skipped).</summary>
    public bool Trusted { get; private set; }

    /// <summary>Used entries matched with a posted chain.</summary>
    public long Matched { get; private set; }

    /// <summary>Used lengths compared with the chain's writable capacity (intact direct chains only).</summary>
    public long LengthsChecked { get; private set; }

    /// <summary>A freshly set-up queue of <paramref name="size"/> descriptors with empty rings.</summary>
    public void Restart(ushort size, bool trusted)
    {
        _outstanding.Clear();
        _owner = new long[size];
        Array.Fill(_owner, -1);
        Trusted = trusted;
    }

    public void Distrust() => Trusted = false;

    /// <summary>
    /// A direct chain written to <paramref name="count"/> descriptors from <paramref name="first"/> (wrapping) and
    /// published as <paramref name="head"/> (another index when the driver lies); <paramref name="capacity"/> is the
    /// sum of its writable lengths, null when its shape was bent (a loop, a stray next or INDIRECT flag) so that a
    /// walk may read other descriptors.
    /// </summary>
    public void PublishedDirect(ushort head, ushort first, int count, ulong? capacity)
    {
        long serial = ++_serial;
        for (int i = 0; i < count && _owner.Length > 0; i++)
        {
            _owner[(first + i) % _owner.Length] = serial;
        }
        Add(new Posted(head, serial, count, head == first ? capacity : null));
    }

    /// <summary>An indirect chain in descriptor <paramref name="first"/>, published as <paramref name="head"/>
    /// (its table lives in guest RAM the device may overwrite: capacity unknown).</summary>
    public void PublishedIndirect(ushort head, ushort first)
    {
        long serial = ++_serial;
        if (first < _owner.Length)
        {
            _owner[first] = serial;
        }
        Add(new Posted(head, serial, 1, null));
    }

    /// <summary>A descriptor rewritten outside a chain (ring vandalism): the chain that owned it is no longer known.</summary>
    public void Overwritten(ushort descriptor)
    {
        if (descriptor < _owner.Length)
        {
            _owner[descriptor] = -1;
        }
    }

    /// <summary>Matches one used entry; returns the broken rule, or null.</summary>
    public string? Take(uint id, uint length)
    {
        if (!Trusted)
        {
            return null;
        }
        int at = _outstanding.FindIndex(p => p.Head == id);
        if (at < 0)
        {
            return $"used entry names head {id}, but the driver has no chain outstanding there ({_outstanding.Count} outstanding)";
        }
        Posted chain = _outstanding[at];
        _outstanding.RemoveAt(at);
        Matched++;
        if (chain.Capacity is not { } capacity || !Intact(chain))
        {
            return null;
        }
        LengthsChecked++;
        return length > capacity ? $"used entry for head {id} claims {length} bytes written into a chain of {capacity} writable bytes" : null;
    }

    private void Add(Posted chain)
    {
        _outstanding.Add(chain);
        // More unreturned chains than the ring holds make the device see avail.idx jump past its last pop (the
        // queue breaks), so the oldest can never come back legitimately: keep the ledger within the ring.
        if (_outstanding.Count > Math.Max(_owner.Length, 1))
        {
            _outstanding.RemoveAt(0);
        }
    }

    private bool Intact(Posted chain)
    {
        for (int i = 0; i < chain.Count; i++)
        {
            if (_owner[(chain.Head + i) % _owner.Length] != chain.Serial)
            {
                return false;
            }
        }
        return true;
    }

    private readonly record struct Posted(ushort Head, long Serial, int Count, ulong? Capacity);
}
