using KataSharp.Agent.Errors;
using KataSharp.Linux;
using KataSharp.Linux.Mounts;

namespace KataSharp.Agent.Engine.Rootfs;

/// <summary>
/// A container's root filesystem: overlayfs of its read-only layers with a writable upper on a
/// per-container tmpfs ("scratch"), mounted at &lt;state&gt;/containers/&lt;id&gt;/rootfs.
/// Everything is undone by <see cref="Dispose"/>.
/// </summary>
public sealed class ContainerRootfs : IDisposable
{
    private readonly LayerMounts _layers;
    private readonly List<string> _serials = [];
    private readonly string _dir;
    private bool _disposed;

    private ContainerRootfs(string dir, LayerMounts layers)
    {
        _dir = dir;
        _layers = layers;
    }

    public string Path => System.IO.Path.Combine(_dir, "rootfs");

    public static ContainerRootfs Create(string containerDir, RootfsRequest? spec, LayerMounts layers)
    {
        if (spec is null || spec.Layers.Count == 0)
        {
            throw AgentException.Invalid("rootfs.layers", "must list at least one layer (base first)");
        }
        var rootfs = new ContainerRootfs(containerDir, layers);
        try
        {
            var lowers = new List<string>();
            for (int i = 0; i < spec.Layers.Count; i++)
            {
                LayerSpec layer = spec.Layers[i];
                string field = $"rootfs.layers[{i}]";
                if (!string.IsNullOrEmpty(layer.BlockSerial))
                {
                    string fstype = string.IsNullOrEmpty(layer.Fstype) ? "erofs" : layer.Fstype;
                    if (fstype is not ("erofs" or "ext4" or "squashfs"))
                    {
                        throw AgentException.Invalid($"{field}.fstype", $"'{fstype}' is not a layer filesystem (erofs, ext4, squashfs)");
                    }
                    lowers.Add(layers.Acquire(layer.BlockSerial, fstype, $"{field}.block_serial"));
                    rootfs._serials.Add(layer.BlockSerial);
                }
                else if (!string.IsNullOrEmpty(layer.GuestDirectory))
                {
                    if (!layer.GuestDirectory.StartsWith('/') || !Directory.Exists(layer.GuestDirectory))
                    {
                        throw AgentException.Invalid($"{field}.guest_directory", $"'{layer.GuestDirectory}' is not an existing absolute guest directory");
                    }
                    lowers.Add(layer.GuestDirectory);
                }
                else
                {
                    throw AgentException.Invalid(field, "names no source (block_serial or guest_directory)");
                }
            }
            foreach (string lower in lowers)
            {
                if (lower.Contains(':') || lower.Contains(','))
                {
                    throw AgentException.Invalid("rootfs.layers", $"layer path '{lower}' contains ':' or ',' which overlayfs options cannot carry");
                }
            }

            string scratch = System.IO.Path.Combine(containerDir, "scratch");
            Directory.CreateDirectory(scratch);
            string size = spec.ScratchSizeBytes > 0 ? $",size={spec.ScratchSizeBytes}" : "";
            Mount.Attach("tmpfs", scratch, "tmpfs", MountFlags.NoDev | MountFlags.NoSuid, $"mode=0755{size}");
            Directory.CreateDirectory(System.IO.Path.Combine(scratch, "upper"));
            Directory.CreateDirectory(System.IO.Path.Combine(scratch, "work"));
            Directory.CreateDirectory(rootfs.Path);
            // overlayfs lists the top-most layer first; the request lists the base first.
            lowers.Reverse();
            string options = $"lowerdir={string.Join(':', lowers)},upperdir={scratch}/upper,workdir={scratch}/work";
            Mount.Attach("overlay", rootfs.Path, "overlay", MountFlags.None, options);
            return rootfs;
        }
        catch (LinuxException e)
        {
            rootfs.Dispose();
            throw AgentException.Internal($"preparing the root filesystem failed: {e.Message}", e);
        }
        catch
        {
            rootfs.Dispose();
            throw;
        }
    }

    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }
        _disposed = true;
        Mount.Detach(Path);
        Mount.Detach(System.IO.Path.Combine(_dir, "scratch"));
        foreach (string serial in _serials)
        {
            _layers.Release(serial);
        }
        if (Directory.Exists(_dir))
        {
            Directory.Delete(_dir, recursive: true);
        }
    }
}
