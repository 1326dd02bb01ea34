namespace KataSharp.Runtime.Telemetry;

/// <summary>
/// The names of the pod-start timeline's phases (<see cref="StartTimeline"/>), as the shim log's <c>phase=</c> field
/// carries them and tests/bench/pod-start.sh reads them, in the order a `ctr run` goes through them.
/// </summary>
public static class StartPhase
{
    /// <summary>The shim process's start (containerd's exec, the runtime's start-up) until its serve code runs.</summary>
    public const string ShimStart = "shim_start";

    /// <summary>configuration.toml read and checked (the sandbox's first Create).</summary>
    public const string ConfigLoaded = "config_loaded";

    /// <summary>The VM made and its vCPUs started (the confined VMM process included).</summary>
    public const string VmCreated = "vm_created";

    /// <summary>The guest's own count from kernel start until its agent served gRPC (CLOCK_BOOTTIME in the guest): a claim of
    /// the guest's, not a host measurement.</summary>
    public const string GuestBoot = "guest_boot";

    /// <summary>From the VM's start until the agent answered health checks and made the sandbox.</summary>
    public const string AgentReady = "agent_ready";

    /// <summary>One snapshot layer turned into an erofs image, or found in the layer cache (<c>cached=true</c>); once the VM
    /// runs, as the layers are attached for a container.</summary>
    public const string LayerConversion = "layer_conversion";

    /// <summary>The agent's CreateContainer for one container.</summary>
    public const string CreateContainer = "create_container";

    /// <summary>The agent's StartContainer for one container's init.</summary>
    public const string StartContainer = "start_container";

    /// <summary>The first byte of a container init's stdout or stderr written to containerd's FIFO, timed from its start.</summary>
    public const string FirstOutputByte = "first_output_byte";

    /// <summary>A container init's exit seen by the shim, timed from when the shim began to wait for it.</summary>
    public const string Exit = "exit";

    /// <summary>The sandbox's stop, from the request until its state directory is gone.</summary>
    public const string Teardown = "teardown";
}
