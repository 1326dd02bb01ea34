using KataSharp.Runtime.Model;
using KataSharp.Runtime.Oci.Spec;
using KataSharp.Runtime.Sandbox;

namespace KataSharp.Runtime.Oci;

/// <summary>
/// What CRI's ipc, uts and pid namespace paths mean in the pod's VM. CRI gives a pod's app container
/// <c>/proc/&lt;sandbox pid&gt;/ns/ipc</c> and <c>…/uts</c> (and <c>…/pid</c> with shareProcessNamespace): on a host,
/// runc joins the pause process's namespaces through them. Here that pid is this shim (the VM's), a host process, and
/// the pause process is the guest's container named by <c>io.kubernetes.cri.sandbox-id</c>. So for a CRI app container
/// each such path becomes a <see cref="NamespaceJoin"/> of that container (the entry stays, without its path): the
/// guest never sees a host path, and a container never names what the agent opens.
/// Without CRI's annotations (plain <c>ctr run</c>, a sandbox container) an ipc or uts path is dropped, so the
/// container gets its own as before, and a pid path is refused: no guest process answers to it, and running the
/// container in a pid namespace of its own would hide the processes it asked to see.
/// </summary>
public static class PodNamespaces
{
    /// <summary>CRI's annotation saying whether a container is a pod's sandbox ("sandbox") or an app container ("container").</summary>
    public const string ContainerTypeAnnotation = "io.kubernetes.cri.container-type";

    public const string AppContainerType = "container";

    private static readonly Dictionary<string, PodNamespace> Shareable = new(StringComparer.Ordinal)
    {
        ["ipc"] = PodNamespace.Ipc, ["uts"] = PodNamespace.Uts, ["pid"] = PodNamespace.Pid,
    };

    /// <summary>Drops the spec's ipc/uts/pid paths, in place, and returns the join they become, if any.</summary>
    public static NamespaceJoin? ForGuest(OciSpec spec, IReadOnlyDictionary<string, string> annotations)
    {
        string? sandboxId = PodSandboxOf(annotations);
        var joined = new List<PodNamespace>();
        foreach (OciNamespace ns in spec.Namespaces())
        {
            if (ns.Type is not { } type || !Shareable.TryGetValue(type, out PodNamespace shared) || ns.Path is not { } path)
            {
                continue;
            }
            if (sandboxId is null && shared == PodNamespace.Pid)
            {
                throw new RuntimeException(RuntimeError.InvalidArgument,
                    $"linux.namespaces[{ns.Index}].path: the pid namespace {path} is a host process's, which the VM does not have; katasharp shares a pid namespace " +
                    $"only between the containers of a CRI pod (annotations {ContainerTypeAnnotation}={AppContainerType} and {OciBundle.SandboxIdAnnotation})");
            }
            ns.DropPath();
            if (sandboxId is not null)
            {
                joined.Add(shared);
            }
        }
        return joined.Count > 0 ? new NamespaceJoin(sandboxId!, joined) : null;
    }

    /// <summary>The pod sandbox a CRI app container belongs to; null for anything else (a sandbox container, no CRI annotations).</summary>
    private static string? PodSandboxOf(IReadOnlyDictionary<string, string> annotations) =>
        annotations.TryGetValue(ContainerTypeAnnotation, out string? kind) && kind == AppContainerType
        && annotations.TryGetValue(OciBundle.SandboxIdAnnotation, out string? sandbox) && sandbox.Length > 0
            ? sandbox
            : null;
}
