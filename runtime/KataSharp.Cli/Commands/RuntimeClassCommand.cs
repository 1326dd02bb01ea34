using System.CommandLine;
using System.Globalization;
using KataSharp.Runtime.Configuration;

namespace KataSharp.Cli.Commands;

/// <summary>
/// `katasharp runtimeclass`: the Kubernetes RuntimeClass for the CRI handler, with the pod overhead
/// the scheduler and kubelet must add to every pod on it. The VM is sized as the containers' limits
/// plus its own memory_mib (see VmSizing), so the fixed overhead is that memory plus what the shim
/// process itself takes outside guest RAM; kubelet then sizes the pod cgroup the shim lives in
/// ([runtime] sandbox_cgroup) to hold all of it.
/// </summary>
public static class RuntimeClassCommand
{
    /// <summary>
    /// The shim's own memory outside guest RAM, rounded up with headroom: measured 26-29 MiB RSS per
    /// running pod besides the guest's RAM (tests/bench/shim.sh, nested test host, 2026-11/12).
    /// </summary>
    public const int ShimOverheadMib = 40;

    /// <summary>The VM's own vCPU mostly idles (guest kernel, agent); Kata's RuntimeClass uses the same figure.</summary>
    public const string CpuOverhead = "250m";

    public static Command Create()
    {
        var command = new Command("runtimeclass",
            "the Kubernetes RuntimeClass manifest (handler katasharp) with the pod overhead of the configuration in effect: `katasharp runtimeclass | kubectl apply -f -`");
        command.SetAction(result => Run(result.InvocationConfiguration.Output));
        return command;
    }

    public static int Run(TextWriter output)
    {
        RuntimeConfiguration configuration;
        try
        {
            configuration = ConfigurationLoader.Load();
        }
        catch (ConfigurationException e)
        {
            Console.Error.WriteLine($"katasharp runtimeclass: {e.Message}");
            return 1;
        }
        output.Write(Manifest(configuration.Hypervisor));
        return 0;
    }

    public static string Manifest(HypervisorSettings hypervisor) => string.Create(CultureInfo.InvariantCulture, $"""
        # Pods with `runtimeClassName: {ContainerdRegistration.Handler}` run in KataSharp microVMs.
        # The overhead: the VM's own memory ([hypervisor.katasharp] memory_mib = {hypervisor.MemoryMib}) + the shim ({ShimOverheadMib} MiB).
        apiVersion: node.k8s.io/v1
        kind: RuntimeClass
        metadata:
          name: {ContainerdRegistration.Handler}
        handler: {ContainerdRegistration.Handler}
        overhead:
          podFixed:
            memory: "{hypervisor.MemoryMib + ShimOverheadMib}Mi"
            cpu: "{CpuOverhead}"

        """);
}
