using KataSharp.Vmm.Lifecycle;

namespace KataSharp.Vmm.Cli;

/// <summary>katasharp-vmm's exit status for each way a run can end (documented in the usage text).</summary>
public static class ExitCodes
{
    public const int GuestExited = 0;
    public const int GuestPanic = 2;
    public const int GuestCrashed = 3;
    public const int VmmError = 4;
    public const int BadInput = 64;
    public const int Interrupted = 130;

    public static int For(VmExit exit) => exit.Reason switch
    {
        VmExitReason.GuestReset or VmExitReason.GuestPowerOff => GuestExited,
        VmExitReason.GuestPanic => GuestPanic,
        VmExitReason.GuestShutdown => GuestCrashed,
        VmExitReason.HostStop => Interrupted,
        _ => VmmError,
    };
}
