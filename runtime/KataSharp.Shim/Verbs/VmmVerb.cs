using KataSharp.Shim.Confinement;

namespace KataSharp.Shim.Verbs;

/// <summary>`containerd-shim-katasharp-v2 vmm SPEC`: the confined VMM process the shim starts for its sandbox (never
/// containerd). The shim binary is reused so the VMM is always the shim's own version.</summary>
public static class VmmVerb
{
    public const string Name = "vmm";

    public static int Run(IReadOnlyList<string> args)
    {
        if (args.Count != 2)
        {
            Console.Error.WriteLine("containerd-shim-katasharp-v2 vmm: takes the VMM spec's path (the shim starts this process; it is not for containerd)");
            return 2;
        }
        return ConfinedVmmProcess.Run(args[1]);
    }
}
