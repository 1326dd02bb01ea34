namespace KataSharp.Fuzz.Targets;

/// <summary>What a queued frame's payload is made of.</summary>
internal enum FrameFill
{
    Zeros,

    /// <summary>Random bytes (a random first 4 KiB, repeated).</summary>
    Random,

    /// <summary>One 16-bit value over and over: what an RX buffer over the guest's own rings turns into indexes and heads.</summary>
    Repeated,
}
