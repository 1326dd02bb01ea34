using KataSharp.Linux;
using KataSharp.Linux.Files;
using KataSharp.Runtime.Model;
using KataSharp.Runtime.Oci.Spec;
using KataSharp.Runtime.Sandbox;

namespace KataSharp.Runtime.Oci;

/// <summary>
/// A bundle's config.json, read and parsed once (<see cref="Spec"/>), with what the shim itself reads from it as it was
/// written on the host: annotations (which pod a container belongs to), bind mounts of small host files to copy into
/// the guest, the cgroup, memory limit and network namespace. Those are read at load and kept as values, because the
/// translations for the VM then edit <see cref="Spec"/> in place (the network namespace path is dropped for the guest).
/// </summary>
public sealed class OciBundle
{
    /// <summary>CRI's annotation naming the pod sandbox a container belongs to (its grouping key).</summary>
    public const string SandboxIdAnnotation = "io.kubernetes.cri.sandbox-id";

    /// <summary>Files larger than this are not copied in (they are not hosts/resolv.conf-like).</summary>
    public const int MaxCopiedFileBytes = 1 << 20;

    private OciBundle(string path, OciSpec spec)
    {
        Path = path;
        Spec = spec;
        Annotations = spec.ReadAnnotations();
        BindMounts = spec.Mounts()
            .Where(m => m.IsBind && m.Source is not null && m.Destination is not null)
            .Select(m => (m.Source!, m.Destination!, m.ReadOnly))
            .ToList();
        CgroupsPath = spec.ReadCgroupsPath();
        MemoryLimitBytes = spec.ReadMemoryLimit();
        NetworkNamespacePath = spec.ReadNetworkNamespacePath();
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

    /// <summary>The parsed spec, which Create translates for the guest and hands on (see <see cref="OciSpec"/> for who owns it when).</summary>
    public OciSpec Spec { get; }

    public IReadOnlyDictionary<string, string> Annotations { get; }

    public IReadOnlyList<(string Source, string Destination, bool ReadOnly)> BindMounts { get; }

    /// <summary>Reads and parses config.json: the only read of the spec (Start and Delete use it for the grouping key alone).</summary>
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
        return new OciBundle(bundlePath, OciSpec.Parse(json, configPath));
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
}
