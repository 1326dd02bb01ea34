namespace KataSharp.Fuzz;

/// <summary>
/// One device model under fuzz, created fresh for every seed. Everything it does runs on the calling
/// thread (a manual event loop), so a seed replays the same steps. A new device plugs in by
/// implementing this, usually through <see cref="Targets.DeviceTarget"/>, and adding a line to <see cref="FuzzTargets"/>.
/// </summary>
internal interface IFuzzTarget : IDisposable
{
    /// <summary>One iteration: one hostile action (register access, descriptor chain, packet, host event),
    /// then the event loop turned until it is idle. Throws <see cref="FuzzFindingException"/> for a broken
    /// invariant; any other exception is one that escaped the device model.</summary>
    void Step(Random random);

    /// <summary>Throws <see cref="FuzzFindingException"/> for the first host-side bound the target has broken (queue
    /// lengths, connections, buffered bytes, watched descriptors) or a device bug the transport contained.</summary>
    void CheckBounds();

    /// <summary>Coverage counters (chains served, connections made...): evidence the fuzz gets past the front door.</summary>
    IReadOnlyDictionary<string, long> Coverage { get; }
}
