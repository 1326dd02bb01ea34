namespace KataSharp.Fuzz;

/// <summary>What the fuzz benchmark counts as a finding.</summary>
internal enum FindingKind
{
    /// <summary>An exception escaped the device model (register access, queue processing, a loop handler).</summary>
    Exception,

    /// <summary>A device bug the transport contained (the device was parked with an internal error).</summary>
    InternalError,

    /// <summary>A step that did not finish within the hang bound (wall clock): a spin or a blocked wait.</summary>
    Hang,

    /// <summary>A step that used more CPU than the slow bound, confirmed by replaying it: unbounded work per turn.</summary>
    SlowTurn,

    /// <summary>The event loop still had ready descriptors after many turns without guest input: a busy loop.</summary>
    BusyLoop,

    /// <summary>A host-side queue, connection count, buffer or heap past its bound.</summary>
    UnboundedGrowth,

    /// <summary>A device-specific rule broken: a used entry for a chain the driver never posted, more bytes claimed
    /// than the chain holds, a frame handed to the backend that the device should have refused.</summary>
    BrokenInvariant,
}
