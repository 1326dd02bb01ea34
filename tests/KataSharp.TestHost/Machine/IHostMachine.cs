namespace KataSharp.TestHost.Machine;

/// <summary>What runs the agent: an L1 QEMU (<see cref="NestedMachine"/>) or this machine
/// itself (<see cref="DirectMachine"/>). The protocol on top is the same for both.</summary>
internal interface IHostMachine : IDisposable
{
    TestHostMode Mode { get; }

    /// <summary>Bytes from the agent.</summary>
    Stream FromAgent { get; }

    /// <summary>Bytes to the agent.</summary>
    Stream ToAgent { get; }

    /// <summary>Completes when the machine (QEMU, or the direct agent process) has exited.</summary>
    Task Exited { get; }

    /// <summary>QEMU's pid (Nested) or the agent's (Direct).</summary>
    int ProcessId { get; }

    /// <summary>A short description for log lines, e.g. "QEMU pid 1234".</summary>
    string Description { get; }

    /// <summary>The last lines of the machine's console (for L1: its serial console).</summary>
    string ConsoleTail(int lines);

    /// <summary>The machine's own diagnostics (QEMU's stderr) when it has any, else empty.</summary>
    string MachineLogTail(int lines);

    /// <summary>Ends the machine now (SIGKILL). Synchronous and idempotent, for ProcessExit too.</summary>
    void Kill();
}
