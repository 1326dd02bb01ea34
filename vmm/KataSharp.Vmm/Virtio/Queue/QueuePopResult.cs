namespace KataSharp.Vmm.Virtio.Queue;

/// <summary>What <see cref="VirtQueue.TryPop"/> found at the next available slot.</summary>
public enum QueuePopResult
{
    /// <summary>The driver has made nothing new available.</summary>
    Empty,

    /// <summary>A well-formed chain: process it and return it with AddUsed.</summary>
    Chain,

    /// <summary>A chain that breaks a rule (loop, bad range, bad indirect table...). Its head is valid:
    /// return it unused (length 0) and carry on with the next one.</summary>
    Malformed,

    /// <summary>The ring itself is corrupt (index jump, head out of range): stop using the queue until reset.</summary>
    Broken,
}
