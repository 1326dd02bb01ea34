using KataSharp.Linux;
using KataSharp.TestTool;

// katasharp-testtool kvm-api-version [device]   prints KVM_GET_API_VERSION of /dev/kvm (or device)
// katasharp-testtool vsock-... / hvsock-... / unix-serve / vmm-control: see VsockCommands
// katasharp-testtool seccomp-load DIR: see SeccompCommands
const int UsageError = 2;

if (KataSharp.TestTool.VsockCommands.TryRun(args) is int vsockExit)
{
    return vsockExit;
}
if (EscapeProbeCommands.TryRun(args) is int probeExit)
{
    return probeExit;
}
if (SeccompCommands.TryRun(args) is int seccompExit)
{
    return seccompExit;
}

switch (args)
{
    case ["kvm-api-version", .. var rest] when rest.Length <= 1:
        try
        {
            Console.WriteLine(KvmProbe.ApiVersion(rest.Length == 1 ? rest[0] : "/dev/kvm"));
            return 0;
        }
        catch (LinuxException e)
        {
            Console.Error.WriteLine($"katasharp-testtool: {e.Message}");
            return 1;
        }
    default:
        Console.Error.WriteLine("usage: katasharp-testtool kvm-api-version [device]\n" + KataSharp.TestTool.VsockCommands.Usage + EscapeProbeCommands.Usage + SeccompCommands.Usage);
        return UsageError;
}
