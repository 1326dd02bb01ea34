using KataSharp.Linux.Netlink;

namespace KataSharp.Confinement;

/// <summary>
/// The test-only hook (<see cref="VmmProcessSpec.TestHooks"/>): does what an attacker who took over a VMM thread would do
/// first to reach the host's network configuration — open a route netlink socket — on the calling I/O thread. Under the
/// filter the process dies of SIGSYS right there; the shim must then report the VM's death.
/// </summary>
public static class ForbiddenSyscall
{
    public static void Make()
    {
        using RouteNetlink socket = RouteNetlink.Open(TimeSpan.FromSeconds(1));
    }
}
