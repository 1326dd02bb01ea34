using KataSharp.Linux;
using KataSharp.Runtime.Configuration;
using KataSharp.Runtime.Logging;
using KataSharp.Runtime.Model;
using KataSharp.Runtime.Sandbox;
using KataSharp.Shim.Backend;
using KataSharp.Shim.Verbs;

// containerd-shim-katasharp-v2: one verb per containerd action (pkg/shim/shim.go's shape).
ShimArguments arguments;
try
{
    arguments = ShimArguments.Parse(args);
}
catch (ArgumentException e)
{
    Console.Error.WriteLine($"containerd-shim-katasharp-v2: {e.Message}");
    return 2;
}

if (arguments.Version)
{
    Console.Out.Write(ShimVersion.Text(ShimVersion.ProgramName, BuildVersion.Current));
    return 0;
}

try
{
    return arguments.Verb switch
    {
        "start" => StartVerb.Run(arguments, Console.Out),
        "delete" => DeleteVerb.Run(arguments, Console.OpenStandardOutput(), Console.Error),
        "" => await ServeVerb.RunAsync(arguments, CreateBackend),
        _ => Fail($"unknown action \"{arguments.Verb}\" (expected start, delete, or none to serve)"),
    };
}
catch (Exception e) when (e is ArgumentException or IOException or RuntimeException or UnauthorizedAccessException)
{
    return Fail(e.Message);
}

static int Fail(string message)
{
    Console.Error.WriteLine($"containerd-shim-katasharp-v2: {message}");
    return 1;
}

// The VMM runs inside this process; the agent is reached over in-process vsock.
static ISandboxBackend CreateBackend(RuntimeConfiguration configuration, RuntimeLog log) => new VmSandboxBackend(log);
