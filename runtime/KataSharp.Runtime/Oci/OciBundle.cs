using System.Text.Json;
using KataSharp.Linux;
using KataSharp.Linux.Files;
using KataSharp.Runtime.Model;
using KataSharp.Runtime.Sandbox;

namespace KataSharp.Runtime.Oci;

/// <summary>
/// The parts of a bundle's config.json the shim itself reads: annotations (which pod a container
/// belongs to) and bind mounts of small host files to copy into the guest. Read with JsonDocument
/// (no reflection); the full spec goes to the agent verbatim.
/// </summary>
public sealed class OciBundle
{
    /// <summary>CRI's annotation naming the pod sandbox a container belongs to (its grouping key).</summary>
    public const string SandboxIdAnnotation = "io.kubernetes.cri.sandbox-id";

    /// <summary>Files larger than this are not copied in (they are not hosts/resolv.conf-like).</summary>
    public const int MaxCopiedFileBytes = 1 << 20;

    private OciBundle(string path, string specJson, IReadOnlyDictionary<string, string> annotations, IReadOnlyList<(string Source, string Destination, bool ReadOnly)> bindMounts,
        string? cgroupsPath, long? memoryLimitBytes, string? networkNamespacePath)
    {
        NetworkNamespacePath = networkNamespacePath;
        Path = path;
        SpecJson = specJson;
        Annotations = annotations;
        BindMounts = bindMounts;
        CgroupsPath = cgroupsPath;
        MemoryLimitBytes = memoryLimitBytes;
    }

    /// <summary>linux.cgroupsPath: where runc would put the container (for the sandbox container: the pod's cgroup leaf).</summary>
    public string? CgroupsPath { get; }

    /// <summary>
    /// The path of the linux.namespaces entry of type network, when it has one: for a CRI pod's sandbox container
    /// the pod's network namespace (/var/run/netns/cni-…), for its app containers /proc/&lt;sandbox pid&gt;/ns/net,
    /// for `ctr run --with-ns network:PATH` that PATH. Null when there is no such entry (host network) or no path.
    /// </summary>
    public string? NetworkNamespacePath { get; }

    /// <summary>linux.resources.memory.limit, when positive.</summary>
    public long? MemoryLimitBytes { get; }

    public string Path { get; }

    public string SpecJson { get; }

    public IReadOnlyDictionary<string, string> Annotations { get; }

    public IReadOnlyList<(string Source, string Destination, bool ReadOnly)> BindMounts { get; }

    public static OciBundle Load(string bundlePath)
    {
        string configPath = System.IO.Path.Combine(bundlePath, "config.json");
        string json;
        try
        {
            json = File.ReadAllText(configPath);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new RuntimeException(RuntimeError.InvalidArgument, $"cannot read the OCI spec {configPath}: {e.Message}");
        }
        try
        {
            using var document = JsonDocument.Parse(json);
            JsonElement root = document.RootElement;
            return new OciBundle(bundlePath, json, ReadAnnotations(root), ReadBindMounts(root), ReadCgroupsPath(root), ReadMemoryLimit(root),
                ReadNetworkNamespacePath(root));
        }
        catch (JsonException e)
        {
            throw new RuntimeException(RuntimeError.InvalidArgument, $"{configPath} is not valid JSON: {e.Message}");
        }
    }

    /// <summary>Which shim serves this container: its pod's sandbox id, or its own id when standalone.</summary>
    public string GroupingKey(string containerId) =>
        Annotations.TryGetValue(SandboxIdAnnotation, out string? sandbox) && !string.IsNullOrEmpty(sandbox) ? sandbox : containerId;

    /// <summary>Regular host files the spec bind-mounts (hosts, resolv.conf, hostname...), read for copying in.
    /// Each is read with <see cref="SmallFile"/>: a FIFO would block Create and a device such as /dev/zero would
    /// be read until the shim runs out of memory; both are refused with the reason. A symlink is followed, as
    /// runc's bind mount follows it (/etc/resolv.conf is one on systemd-resolved hosts): bind sources come from
    /// the host's own configuration (containerd, kubelet, the ctr user), never from the guest or an image.</summary>
    public IReadOnlyList<ContainerFile> ReadBindMountedFiles()
    {
        var files = new List<ContainerFile>();
        foreach (var (source, destination, readOnly) in BindMounts)
        {
            if (Directory.Exists(source) || !System.IO.Path.Exists(source) || FileNode.TryOf(source) is { IsBlockDevice: true })
            {
                continue; // directories and missing sources are not files to copy; a block device goes into a block slot
            }
            byte[] data;
            try
            {
                data = SmallFile.Read(source, MaxCopiedFileBytes, followSymlink: true);
            }
            catch (LinuxException e) when (e.Errno == Errno.EFBIG)
            {
                throw new RuntimeException(RuntimeError.NotImplemented,
                    $"bind mount {source} → {destination} is over {MaxCopiedFileBytes} bytes; katasharp copies only small files (≤ {MaxCopiedFileBytes}) into the VM and shares no host directories");
            }
            catch (LinuxException e)
            {
                throw new RuntimeException(RuntimeError.InvalidArgument,
                    $"bind mount {source} → {destination} cannot be copied into the VM ({e.Message}); katasharp copies only small regular files");
            }
            files.Add(new ContainerFile(destination, data, readOnly));
        }
        return files;
    }

    /// <summary>The spec's <c>linux</c> object, when there is one: the readers below all start from it.</summary>
    private static bool TryGetLinux(JsonElement root, out JsonElement linux) =>
        root.TryGetProperty("linux", out linux) && linux.ValueKind == JsonValueKind.Object;

    /// <summary>A non-empty string property, or null.</summary>
    private static string? NonEmptyString(JsonElement parent, string name) =>
        parent.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String && value.GetString() is { Length: > 0 } text
            ? text
            : null;

    private static string? ReadCgroupsPath(JsonElement root) =>
        TryGetLinux(root, out var linux) ? NonEmptyString(linux, "cgroupsPath") : null;

    private static string? ReadNetworkNamespacePath(JsonElement root)
    {
        if (!TryGetLinux(root, out var linux)
            || !linux.TryGetProperty("namespaces", out var namespaces) || namespaces.ValueKind != JsonValueKind.Array)
        {
            return null;
        }
        foreach (JsonElement ns in namespaces.EnumerateArray())
        {
            if (ns.ValueKind == JsonValueKind.Object && ns.TryGetProperty("type", out var type) && type.ValueKind == JsonValueKind.String && type.GetString() == "network")
            {
                return NonEmptyString(ns, "path");
            }
        }
        return null;
    }

    private static long? ReadMemoryLimit(JsonElement root) =>
        TryGetLinux(root, out var linux)
        && linux.TryGetProperty("resources", out var resources) && resources.ValueKind == JsonValueKind.Object
        && resources.TryGetProperty("memory", out var memory) && memory.ValueKind == JsonValueKind.Object
        && memory.TryGetProperty("limit", out var limit) && limit.ValueKind == JsonValueKind.Number && limit.TryGetInt64(out long bytes) && bytes > 0
            ? bytes
            : null;

    private static Dictionary<string, string> ReadAnnotations(JsonElement root)
    {
        var annotations = new Dictionary<string, string>(StringComparer.Ordinal);
        if (root.TryGetProperty("annotations", out var element) && element.ValueKind == JsonValueKind.Object)
        {
            foreach (var property in element.EnumerateObject())
            {
                if (property.Value.ValueKind == JsonValueKind.String)
                {
                    annotations[property.Name] = property.Value.GetString()!;
                }
            }
        }
        return annotations;
    }

    private static List<(string, string, bool)> ReadBindMounts(JsonElement root)
    {
        var mounts = new List<(string, string, bool)>();
        if (!root.TryGetProperty("mounts", out var element) || element.ValueKind != JsonValueKind.Array)
        {
            return mounts;
        }
        foreach (var mount in element.EnumerateArray())
        {
            string type = mount.TryGetProperty("type", out var t) ? t.GetString() ?? "" : "";
            var options = mount.TryGetProperty("options", out var o) && o.ValueKind == JsonValueKind.Array
                ? o.EnumerateArray().Select(x => x.GetString() ?? "").ToList()
                : [];
            bool isBind = type == "bind" || options.Contains("bind") || options.Contains("rbind");
            if (isBind && mount.TryGetProperty("source", out var s) && mount.TryGetProperty("destination", out var d))
            {
                mounts.Add((s.GetString() ?? "", d.GetString() ?? "", options.Contains("ro")));
            }
        }
        return mounts;
    }
}
