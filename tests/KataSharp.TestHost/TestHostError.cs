namespace KataSharp.TestHost;

/// <summary>What went wrong in the test host; carried by <see cref="TestHostException"/>.</summary>
public enum TestHostError
{
    /// <summary>A setting or path cannot work (e.g. whitespace in a path on the kernel command line).</summary>
    InvalidConfiguration,

    /// <summary>A build script (L1 kernel + initramfs) failed.</summary>
    BuildFailed,

    /// <summary>QEMU or the agent could not be started.</summary>
    StartFailed,

    /// <summary>The agent did not report READY within the boot timeout.</summary>
    BootTimedOut,

    /// <summary>QEMU (or the direct-mode agent) exited while it was needed.</summary>
    MachineExited,

    /// <summary>
    /// The test host's own kernel panicked or locked up (seen on L1's console), so the machine was
    /// stopped: a failure of the test host under TCG, not of the command it was running.
    /// </summary>
    KernelFailed,

    /// <summary>
    /// The machine stopped answering the heartbeat on its control channel (no PONG for the
    /// heartbeat timeout), so it was stopped: L1 froze as a whole under TCG (its CPUs idle, even a
    /// shell loop with sleep stopped), which says nothing of the command it was running.
    /// </summary>
    MachineStalled,

    /// <summary>The agent sent something the protocol does not allow.</summary>
    ProtocolViolation,

    /// <summary>The host is not in a state that accepts commands (stopped, failed).</summary>
    NotReady,

    /// <summary>A command ran past its timeout and was killed.</summary>
    CommandTimedOut,

    /// <summary>A command exited with a non-zero code where success was required.</summary>
    CommandFailed,
}
