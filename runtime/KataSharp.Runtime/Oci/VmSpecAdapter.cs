using System.Text.Json;
using System.Text.Json.Nodes;
using KataSharp.Linux.Files;
using KataSharp.Runtime.Model;
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
/// A spec that needs none of this is returned verbatim (the same string).
/// </summary>
public static class VmSpecAdapter
{
    public const string ShmDestination = HostDirectoryClassifier.ShmDestination;

    /// <summary>containerd's CRI default pod shm size (64 MiB), as tmpfs options.</summary>
    public static readonly string[] ShmOptions = ["nosuid", "noexec", "nodev", "mode=1777", "size=65536k"];


    /// <param name="isHostDirectory">Whether a bind source is a directory on the host.</param>
    public static string ForGuest(string specJson, Func<string, bool> isHostDirectory) => ForGuest(specJson, isHostDirectory, out _);

    /// <param name="volumes">The host-directory binds the backend must provide in the guest (kubelet volumes, the pod's /dev/shm).</param>
    public static string ForGuest(string specJson, Func<string, bool> isHostDirectory, out IReadOnlyList<HostDirectoryMount> volumes) =>
        ForGuest(specJson, source => isHostDirectory(source) ? new FileNode(FileKind.Directory, 0, 0) : null, out volumes, out _);

    /// <param name="statSource">What a bind source is on the host (<see cref="FileNode.TryOf"/> in the shim), null when it cannot be stat-ed.</param>
    /// <param name="volumes">The host-directory binds the backend must provide in the guest (kubelet volumes, the pod's /dev/shm).</param>
    /// <param name="blockDevices">The binds of host block devices the backend must attach to the VM.</param>
    public static string ForGuest(string specJson, Func<string, FileNode?> statSource, out IReadOnlyList<HostDirectoryMount> volumes,
        out IReadOnlyList<HostBlockDevice> blockDevices)
    {
        JsonObject spec;
        try
        {
            spec = JsonNode.Parse(specJson) as JsonObject
                ?? throw new RuntimeException(RuntimeError.InvalidArgument, "config.json: the OCI spec is not a JSON object");
        }
        catch (JsonException e)
        {
            throw new RuntimeException(RuntimeError.InvalidArgument, $"config.json is not valid JSON: {e.Message}");
        }
        var found = new List<HostDirectoryMount>();
        var devices = new List<HostBlockDevice>();
        bool changed = AdaptMounts(spec, statSource, found, devices);
        volumes = found;
        blockDevices = devices;
        changed |= DropNetworkNamespacePath(spec);
        return changed ? spec.ToJsonString() : specJson;
    }

    private static bool AdaptMounts(JsonObject spec, Func<string, FileNode?> statSource, List<HostDirectoryMount> volumes, List<HostBlockDevice> devices)
    {
        if (spec["mounts"] is not JsonArray mounts)
        {
            return false;
        }
        bool changed = false;
        for (int i = 0; i < mounts.Count; i++)
        {
            if (mounts[i] is not JsonObject mount || !IsBind(mount))
            {
                continue;
            }
            string source = JsonText.Of(mount["source"]) ?? "";
            string destination = JsonText.Of(mount["destination"]) ?? "";
            bool readOnly = mount["options"] is JsonArray options && options.Any(o => JsonText.Of(o) == "ro");
            FileNode? node = statSource(source);
            if (node is { IsBlockDevice: true } device)
            {
                devices.Add(new HostBlockDevice(i, source, destination, readOnly, device.DeviceMajor, device.DeviceMinor));
                changed |= DenyUnlessCgroupAllows(spec, mount, device, readOnly);
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
            mounts[i] = new JsonObject
            {
                ["destination"] = ShmDestination,
                ["type"] = "tmpfs",
                ["source"] = "shm",
                ["options"] = new JsonArray(tmpfsOptions.Select(o => (JsonNode?)JsonValue.Create(o)).ToArray()),
            };
            changed = true;
        }
        return changed;
    }

    /// <summary>
    /// runc binds the device node whatever the devices cgroup says, and the cgroup then refuses open() (EPERM) unless a
    /// rule allows the device: containerd adds none for a bind, so an unprivileged CRI container cannot open a hostPath
    /// BlockDevice, a privileged one (allow-all rule) can. The guest enforces no devices cgroup (the VM is the boundary),
    /// so the same refusal is made with the mount instead: <c>nodev</c> on the bind makes open() fail (EACCES) while the
    /// node stays visible, as it is under runc. The access asked is read for a <c>ro</c> mount, read and write otherwise.
    /// </summary>
    private static bool DenyUnlessCgroupAllows(JsonObject spec, JsonObject mount, FileNode device, bool readOnly)
    {
        if (DeviceCgroupRules.Allows(spec, 'b', device.DeviceMajor, device.DeviceMinor, readOnly ? "r" : "rw"))
        {
            return false;
        }
        if (mount["options"] is not JsonArray options)
        {
            options = [];
            mount["options"] = options;
        }
        options.Add((JsonNode?)JsonValue.Create("nodev"));
        return true;
    }

    private static bool DropNetworkNamespacePath(JsonObject spec)
    {
        if (spec["linux"] is not JsonObject linux || linux["namespaces"] is not JsonArray namespaces)
        {
            return false;
        }
        bool changed = false;
        foreach (JsonObject ns in namespaces.OfType<JsonObject>())
        {
            if (JsonText.Of(ns["type"]) == "network" && !string.IsNullOrEmpty(JsonText.Of(ns["path"])))
            {
                ns.Remove("path");
                changed = true;
            }
        }
        return changed;
    }

    private static bool IsBind(JsonObject mount) =>
        JsonText.Of(mount["type"]) == "bind" || (mount["options"] is JsonArray options && options.Any(o => JsonText.Of(o) is "bind" or "rbind"));

}
