using System.Text.Json.Nodes;
using KataSharp.Linux.Files;
using KataSharp.Runtime.Oci.Spec;
using KataSharp.Runtime.Volumes;

namespace KataSharp.Runtime.Oci;

/// <summary>
/// What a spec written for a host runtime (containerd's CRI plugin, ctr) means inside the pod's VM,
/// where host directories and host namespaces do not exist:
/// <list type="bullet">
/// <item>Binds of host <em>directories</em> are classified (<see cref="HostDirectoryClassifier"/>): kubelet's configmap,
/// secret, projected, downward-API and emptyDir volumes and the pod's /dev/shm stay binds, listed for the backend,
/// which points them at their guest directories; the host's own /dev/shm (host IPC) becomes a fresh tmpfs of CRI's
/// default pod shm size, one per container; any other directory fails with NotImplemented naming the mount: nothing
/// shares host directories with the guest (no virtio-fs). Binds of files are left alone (they are copied in).</item>
/// <item>Binds of host <em>block devices</em> (kubelet's hostPath of type BlockDevice) stay binds, listed for the backend,
/// which puts the device into a spare virtio-blk slot and has the agent bind the guest disk at the destination. A
/// character device is not one of them: it is left to the file copy, which refuses it naming the mount, as before.
/// When the spec's devices cgroup would not let the container open the device (<see cref="DeviceCgroupRules"/>: an
/// unprivileged CRI container, whose rules containerd does not extend for a bind), the bind gets <c>nodev</c>.</item>
/// <item>ipc, uts and pid namespace paths are <see cref="PodNamespaces"/>' (run before this): they become a join of the
/// pod's sandbox container.</item>
/// <item>A network namespace given by path loses the path too: it names a host namespace (the pod's CNI netns in
/// the sandbox container's spec, /proc/&lt;sandbox pid&gt;/ns/net — the shim's own — in every app container's),
/// which the shim connects to the VM when the pod boots (<see cref="Network.PodNetwork"/>). In the guest that pod
/// network is the guest's own network namespace, where the agent configured the pod's interfaces, and every
/// container of the pod runs in it (the agent makes no network namespace for a container).</item>
/// </list>
/// The spec is edited in place; one that needs none of this is left as it was.
/// </summary>
public static class VmSpecAdapter
{
    public const string ShmDestination = HostDirectoryClassifier.ShmDestination;

    /// <summary>containerd's CRI default pod shm size (64 MiB), as tmpfs options.</summary>
    public static readonly string[] ShmOptions = ["nosuid", "noexec", "nodev", "mode=1777", "size=65536k"];

    /// <summary>Adapts <paramref name="spec"/> for the guest, in place, and lists what the backend must provide for it.</summary>
    /// <param name="statSource">What a bind source is on the host (<see cref="FileNode.TryOf"/> in the shim), null when it cannot be stat-ed.</param>
    /// <param name="volumes">The host-directory binds the backend must provide in the guest (kubelet volumes, the pod's /dev/shm).</param>
    /// <param name="blockDevices">The binds of host block devices the backend must attach to the VM.</param>
    public static void ForGuest(OciSpec spec, Func<string, FileNode?> statSource, out IReadOnlyList<HostDirectoryMount> volumes,
        out IReadOnlyList<HostBlockDevice> blockDevices)
    {
        var found = new List<HostDirectoryMount>();
        var devices = new List<HostBlockDevice>();
        AdaptMounts(spec, statSource, found, devices);
        volumes = found;
        blockDevices = devices;
        DropNetworkNamespacePath(spec);
    }

    private static void AdaptMounts(OciSpec spec, Func<string, FileNode?> statSource, List<HostDirectoryMount> volumes, List<HostBlockDevice> devices)
    {
        foreach (OciMount mount in spec.Mounts())
        {
            if (!mount.IsBind)
            {
                continue;
            }
            int i = mount.Index;
            string source = mount.Source ?? "";
            string destination = mount.Destination ?? "";
            bool readOnly = mount.ReadOnly;
            FileNode? node = statSource(source);
            if (node is { IsBlockDevice: true } device)
            {
                devices.Add(new HostBlockDevice(i, source, destination, readOnly, device.DeviceMajor, device.DeviceMinor));
                DenyUnlessCgroupAllows(spec, mount, device, readOnly);
                continue;
            }
            if (node is not { Kind: FileKind.Directory })
            {
                continue; // a file is copied in (a character device or FIFO is refused there); a missing source is the agent's to report
            }
            HostDirectoryMount classified = HostDirectoryClassifier.Classify(i, source, destination, readOnly);
            if (classified.Use != HostDirectoryUse.HostShm)
            {
                volumes.Add(classified); // stays a bind; the backend points it at the guest directory
                continue;
            }
            string[] tmpfsOptions = readOnly ? [.. ShmOptions, "ro"] : ShmOptions;
            spec.ReplaceMount(mount, new JsonObject
            {
                ["destination"] = ShmDestination,
                ["type"] = "tmpfs",
                ["source"] = "shm",
                ["options"] = new JsonArray(tmpfsOptions.Select(o => (JsonNode?)JsonValue.Create(o)).ToArray()),
            });
        }
    }

    /// <summary>
    /// runc binds the device node whatever the devices cgroup says, and the cgroup then refuses open() (EPERM) unless a
    /// rule allows the device: containerd adds none for a bind, so an unprivileged CRI container cannot open a hostPath
    /// BlockDevice, a privileged one (allow-all rule) can. The guest enforces no devices cgroup (the VM is the boundary),
    /// so the same refusal is made with the mount instead: <c>nodev</c> on the bind makes open() fail (EACCES) while the
    /// node stays visible, as it is under runc. The access asked is read for a <c>ro</c> mount, read and write otherwise.
    /// </summary>
    private static void DenyUnlessCgroupAllows(OciSpec spec, OciMount mount, FileNode device, bool readOnly)
    {
        if (!DeviceCgroupRules.Allows(spec, 'b', device.DeviceMajor, device.DeviceMinor, readOnly ? "r" : "rw"))
        {
            mount.AddOption("nodev");
        }
    }

    private static void DropNetworkNamespacePath(OciSpec spec)
    {
        foreach (OciNamespace ns in spec.Namespaces())
        {
            if (ns.Type == "network" && ns.Path is not null)
            {
                ns.DropPath();
            }
        }
    }
}
