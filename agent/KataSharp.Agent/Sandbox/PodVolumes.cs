using KataSharp.Agent.Errors;
using KataSharp.Linux.Files;
using KataSharp.Linux.Mounts;

namespace KataSharp.Agent.Sandbox;

/// <summary>
/// Directories the pod's containers share, made by the agent outside the shared-files directory: kubelet's
/// emptyDir volumes (a plain directory, mode 0777 as kubelet makes it) and the pod's /dev/shm (a tmpfs of the
/// size asked, mode 1777, nosuid/nodev/noexec as containerd mounts it). Same name → same directory, so every
/// container of the pod that binds it sees the others' files and POSIX shm segments.
/// Where they live: <c>/run/katasharp/volumes</c>, i.e. on the tmpfs ks-init mounts on /run (the guest's root is
/// the initrd, read-only, and /run is RAM): an emptyDir is RAM-backed whatever its medium, and bounded by the
/// guest's memory, not by a sizeLimit (which kubelet enforces on the host side anyway). Removed with the pod:
/// the guest and its RAM end with it.
/// </summary>
public sealed class PodVolumes(string root)
{
    private const UnixFileMode EmptyDirMode = (UnixFileMode)0x1ff, ShmMode = (UnixFileMode)0x3ff; // 0777, 01777
    private readonly Dictionary<string, PodVolumeMedium> _prepared = new(StringComparer.Ordinal);

    public string Root { get; } = root;

    /// <summary>Makes the volume <paramref name="name"/> once and returns its guest path; again with the same medium,
    /// the same path; with another medium FAILED_PRECONDITION.</summary>
    public string Prepare(string name, PodVolumeMedium medium, ulong sizeBytes)
    {
        if (SharedPath.Split(name, "name").Length != 1)
        {
            throw AgentException.Invalid("name", $"'{name}' must be a single path component");
        }
        if (medium == PodVolumeMedium.Tmpfs && sizeBytes == 0)
        {
            throw AgentException.Invalid("size_bytes", "a tmpfs volume needs a size");
        }
        string path = Path.Combine(Root, name);
        lock (_prepared)
        {
            if (_prepared.TryGetValue(name, out PodVolumeMedium existing))
            {
                return existing == medium ? path
                    : throw AgentException.FailedPrecondition($"pod volume '{name}' exists already as {existing}, not {medium}");
            }
            Directory.CreateDirectory(Root);
            using (DirectoryHandle root = DirectoryHandle.Open(Root))
            {
                // A leftover of an earlier agent (tests reuse state dirs) is replaced: no container can have it bound yet.
                if (root.KindOf(name, out _) is not null)
                {
                    Mount.Detach(path);
                    root.Remove(name);
                }
                using DirectoryHandle made = root.OpenOrCreateDirectory(name, EmptyDirMode);
                made.SetModeAndOwner(medium == PodVolumeMedium.Tmpfs ? ShmMode : EmptyDirMode, 0, 0);
            }
            if (medium == PodVolumeMedium.Tmpfs)
            {
                // The directory was made just now by the agent and is in no container yet: the path resolves to it.
                Mount.Attach("shm", path, "tmpfs", MountFlags.NoSuid | MountFlags.NoDev | MountFlags.NoExec, $"mode=1777,size={sizeBytes}");
            }
            _prepared[name] = medium;
        }
        return path;
    }
}
