using KataSharp.Confinement;
using KataSharp.Linux;

// katasharp-sandbox-vmm SPEC: the confined VMM process a shim starts for its sandbox, under unshare(1), with its
// control channel, console and log pipes as inherited descriptors (runtime/KataSharp.Confinement). Not for people
// or containerd; --version answers for `katasharp check` and humans.
if (args is ["--version"])
{
    Console.Out.WriteLine(BuildVersion.Current.Line(ConfinedVmmProcess.ProgramName));
    return 0;
}
if (args.Length != 1 || args[0].StartsWith('-'))
{
    Console.Error.WriteLine($"{ConfinedVmmProcess.ProgramName}: takes the VMM spec's path (a shim starts this process for its sandbox; it is not for people or containerd)");
    return 2;
}
return ConfinedVmmProcess.Run(args[0]);
