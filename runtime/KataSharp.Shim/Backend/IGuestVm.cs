using KataSharp.Runtime.Sandbox;
using KataSharp.Runtime.Telemetry;
using KataSharp.Vmm.Lifecycle;
using KataSharp.Vmm.Machine;

namespace KataSharp.Shim.Backend;

/// <summary>
/// What <see cref="VmSandboxBackend"/> needs from the pod's VM. <see cref="GuestMachine"/> is the
/// real one (the VMM inside the shim); tests put a fake VM behind the real backend to make it die
/// at will while calls to its agent are in flight. Its block slots' media are changed only through the pod's
/// <see cref="BlockSlots"/>, which decides slot and serial.
/// </summary>
public interface IGuestVm : IBlockMedia, IDisposable
{
    /// <summary>The hybrid vsock unix socket (guest port P connects to "&lt;this&gt;_P").</summary>
    string VsockSocket { get; }

    string KernelCmdline { get; }

    /// <summary>Completes with the reason once the VM has stopped, whoever stopped it.</summary>
    Task<VmExit> Exited { get; }

    /// <summary>A stream to guest vsock port <paramref name="port"/>.</summary>
    Task<Stream> ConnectAsync(uint port, CancellationToken cancellationToken);

    /// <summary>How many empty block slots the VM was built with (named <see cref="BlockSlots.Names"/>).</summary>
    int BlockSlotCount { get; }

    /// <summary>The last console lines (guest text, already made safe to log), for error messages.</summary>
    string ConsoleTail(int lines);

    /// <summary>The agent's log stream is up: the console's copy of it can drop to debug level.</summary>
    void AgentLogConnected();

    /// <summary>The VMM's counters (vCPU exits, virtio devices) for the sandbox's metrics; blocks at most a few seconds.</summary>
    VmmMetricsReport Metrics() => VmmMetricsReport.None;

    /// <summary>The VMM process gives back the memory it no longer uses (its heap, its binary's unused pages); nothing for a
    /// VMM inside the shim, whose own trim covers it. Blocks at most a few seconds.</summary>
    void TrimMemory()
    {
    }

    /// <summary>A listener made at "&lt;VsockSocket&gt;_P" for guest connections to host port P: the VMM must be allowed to
    /// connect to it (a confined VMM runs as its own uid).</summary>
    void AdmitHostSocket(string path)
    {
    }
}
