namespace KataSharp.Confinement;

/// <summary>
/// One message on the control channel between the shim and its VMM process. Shim to VMM: "insert" (with the medium's
/// descriptor), "eject", "metrics", "trim" (give back unused memory: KataSharp.Runtime.Memory.MemoryTrim), "stop", and the
/// test-only "forbidden-syscall". VMM to shim: "ready" once confined, "failed" when the VM could not be built, "reply" to
/// each insert/eject/metrics/trim, and "exit" with the VM's end. Everything the VMM
/// sends is untrusted (an escape from the device model controls it): the shim bounds, escapes and checks it.
/// </summary>
public sealed record VmmMessage(string Op)
{
    /// <summary>A command's number (from 1, per VMM process), which its "reply" repeats: the shim takes a reply only as the
    /// answer to the command it numbers (KataSharp.Shim.Backend.VmmCommands). 0 on every other message.</summary>
    public long Id { get; init; }

    public string? Slot { get; init; }

    public string? Serial { get; init; }

    public bool ReadOnly { get; init; }

    /// <summary>The medium's host path, for messages only (the VMM never opens it).</summary>
    public string? Label { get; init; }

    /// <summary>"reply": null when it worked, else why not. "failed"/"exit": the message.</summary>
    public string? Error { get; init; }

    /// <summary>"exit": a <see cref="KataSharp.Vmm.Lifecycle.VmExitReason"/> name. "failed": a VmmFailure name.</summary>
    public string? Reason { get; init; }

    /// <summary>"failed": the configuration option the problem is about.</summary>
    public string? Option { get; init; }

    public string? Diagnostics { get; init; }

    /// <summary>"ready": the kernel command line the VM booted with (the devices' entries appended).</summary>
    public string? Cmdline { get; init; }

    /// <summary>"reply" to "metrics": the VMM's counters, an array of {name, labels, value} (<see cref="VmmMetricWire"/>).
    /// Kept as raw JSON so one malformed entry is dropped and counted by <see cref="VmmMetricsFilter"/>, not the whole message.</summary>
    public System.Text.Json.JsonElement? Metrics { get; init; }

    public const int MaxBytes = 64 * 1024;
}
