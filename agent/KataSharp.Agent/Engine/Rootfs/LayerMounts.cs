using KataSharp.Agent.Engine.Plans;
using KataSharp.Agent.Errors;
using KataSharp.Linux;
using KataSharp.Linux.Mounts;

namespace KataSharp.Agent.Engine.Rootfs;

/// <summary>
/// Read-only image layers mounted once per guest and shared by every container that uses them
/// (reference counted): a block disk found by serial, mounted at &lt;state&gt;/layers/&lt;serial&gt;.
/// </summary>
public sealed class LayerMounts(string layersDir, BlockDeviceFinder finder)
{
    private readonly object _lock = new();
    private readonly Dictionary<string, int> _users = [];

    /// <summary>Mounts (or reuses) the layer; returns its directory. Release it with <see cref="Release"/>.</summary>
    public string Acquire(string serial, string fstype, string field)
    {
        BlockSerial.Validate(serial, field);
        lock (_lock)
        {
            string dir = Path.Combine(layersDir, serial);
            if (_users.TryGetValue(serial, out int users))
            {
                _users[serial] = users + 1;
                return dir;
            }
            string device = finder.Find(serial) ?? throw AgentException.NotFound($"no block device with serial '{serial}' ({field}); attach the layer image first");
            Directory.CreateDirectory(dir);
            try
            {
                Mount.Attach(device, dir, fstype, MountFlags.ReadOnly | MountFlags.NoDev | MountFlags.NoSuid);
            }
            catch (LinuxException e)
            {
                Directory.Delete(dir);
                throw AgentException.Invalid(field, $"mounting {device} ({fstype}) failed: {e.Message}");
            }
            _users[serial] = 1;
            return dir;
        }
    }

    public void Release(string serial)
    {
        lock (_lock)
        {
            if (!_users.TryGetValue(serial, out int users))
            {
                return;
            }
            if (users > 1)
            {
                _users[serial] = users - 1;
                return;
            }
            _users.Remove(serial);
            string dir = Path.Combine(layersDir, serial);
            Mount.Detach(dir);
            Directory.Delete(dir);
        }
    }
}
