using KataSharp.Runtime.Configuration;

namespace KataSharp.Shim.Backend;

/// <summary>
/// The command line every sandbox kernel gets, before the devices' virtio_mmio.device= entries:
/// console on COM1, reboot (not halt) on power-off so the VM ends, no reboot on panic, the agent's
/// log level, then [hypervisor.katasharp] kernel_params last so an admin can override any of it.
/// Without [runtime] debug the kernel is quiet: every console byte is a VM exit, and boot is faster.
/// </summary>
public static class GuestKernelCmdline
{
    public static string For(RuntimeConfiguration configuration)
    {
        bool debug = configuration.Runtime.Debug;
        var parts = new List<string> { "console=ttyS0", "reboot=k", "panic=-1" };
        parts.Add(debug ? "katasharp.log=debug" : "quiet");
        if (!debug)
        {
            parts.Add("katasharp.log=info");
        }
        if (!string.IsNullOrWhiteSpace(configuration.Hypervisor.KernelParams))
        {
            parts.Add(configuration.Hypervisor.KernelParams.Trim());
        }
        return string.Join(' ', parts);
    }
}
