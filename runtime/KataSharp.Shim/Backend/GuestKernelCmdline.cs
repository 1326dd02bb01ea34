using KataSharp.Agent.Protocol;
using KataSharp.Runtime.Configuration;
using KataSharp.Runtime.Logging;

namespace KataSharp.Shim.Backend;

/// <summary>
/// The command line every sandbox kernel gets, before the devices' virtio_mmio.device= entries:
/// console on COM1, reboot (not halt) on power-off so the VM ends, no reboot on panic, the agent's
/// log level ([runtime] log_level, debug with [runtime] debug), the debug console ([runtime] debug_console), then [hypervisor.katasharp] kernel_params
/// last so an admin can override any of it.
/// Without [runtime] debug the kernel is quiet: every console byte is a VM exit, and boot is faster.
/// <para>
/// Two network settings trade per-frame cost for batching, because every frame costs VM exits (a queue
/// notification, an interrupt whose status read and acknowledgement are exits to the VMM, the EOI), and
/// under nested virtualization each exit costs more than the frame's bytes (tests/bench/pod-network.sh
/// counted it: one TX notification, one TX interrupt and one ACK interrupt per 3 KB frame):
/// <list type="bullet">
/// <item><c>virtio_net.napi_tx=0</c>: the driver frees transmitted skbs when it next transmits instead of on a
/// TX interrupt, so TX interrupts stay suppressed and TCP Small Queues no longer holds a socket to two frames
/// in flight until the device's completion interrupt arrives;</item>
/// <item><c>sysctl.net.ipv4.tcp_min_tso_segs</c>: TCP sizes its TSO frames by its pacing rate (1 ms worth), so a
/// slow start stays at 2-segment frames and the per-frame cost keeps it slow; 44 segments lets a frame be a
/// 64 KiB GSO frame (the device and the tap carry it whole).</item>
/// </list>
/// </para>
/// </summary>
public static class GuestKernelCmdline
{
    /// <summary>1448-byte segments (MTU 1500 with timestamps) in one 64 KiB GSO frame.</summary>
    public const int TcpMinTsoSegments = 44;

    public static string For(RuntimeConfiguration configuration)
    {
        var parts = new List<string> { "console=ttyS0", "reboot=k", "panic=-1", "virtio_net.napi_tx=0", $"sysctl.net.ipv4.tcp_min_tso_segs={TcpMinTsoSegments}" };
        if (!configuration.Runtime.Debug)
        {
            parts.Add("quiet");
        }
        // The agent logs at the shim log's level: lines below it would only be filtered out on the host.
        parts.Add($"katasharp.log={LogLevelNames.Name(configuration.Runtime.EffectiveLogLevel)}");
        if (configuration.Runtime.DebugConsole)
        {
            // The agent serves a root shell on its debug-console port only when this is on its command line.
            parts.Add(AgentProtocolConstants.DebugConsoleKernelParameter);
        }
        if (!string.IsNullOrWhiteSpace(configuration.Hypervisor.KernelParams))
        {
            parts.Add(configuration.Hypervisor.KernelParams.Trim());
        }
        return string.Join(' ', parts);
    }
}
