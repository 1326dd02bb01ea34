using System.Text;
using KataSharp.Runtime.Logging;

namespace KataSharp.Runtime.Volumes;

/// <summary>
/// The host-directory binds of a pod's containers, provided in the guest: one copy per pod of each copied kubelet volume
/// (keyed by its host path, which holds the pod's uid: two containers mounting the same configmap share one copy and one
/// watcher — half the guest RAM and polling, and both see the same update at the same moment), removed from the guest
/// and no longer watched once its last container is gone; one guest directory per emptyDir name; one tmpfs for the pod's
/// /dev/shm. Disposing stops every watcher (the VM is going: nothing is removed in it).
/// </summary>
public sealed class PodVolumeSet(IGuestVolumes guest, VolumeLimits limits, TimeSpan syncInterval, RuntimeLog log) : IAsyncDisposable
{
    /// <summary>containerd's CRI default pod shm size, as <see cref="Oci.VmSpecAdapter.ShmOptions"/>.</summary>
    public const long PodShmBytes = 64L << 20;
    public const string PodShmName = "shm";

    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly Dictionary<string, SharedCopy> _copies = new(StringComparer.Ordinal);
    private int _nextCopy;
    private bool _disposed;

    private sealed record SharedCopy(VolumeSync Sync, HashSet<string> Users);

    /// <summary>Number of copied volumes being watched (for tests and logs).</summary>
    public int WatchedCount => _copies.Count;

    /// <summary>Provides every host-directory bind of a container; returns mount destination → guest path (the bind source in the
    /// guest spec). On failure, what this container acquired is released again.</summary>
    public async Task<IReadOnlyDictionary<string, string>> AttachAsync(string containerId, IReadOnlyList<HostDirectoryMount> mounts, CancellationToken cancellationToken)
    {
        var sources = new Dictionary<string, string>(StringComparer.Ordinal);
        if (mounts.Count == 0)
        {
            return sources;
        }
        await _gate.WaitAsync(cancellationToken);
        try
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            foreach (HostDirectoryMount mount in mounts)
            {
                sources[mount.Destination] = mount.Use switch
                {
                    HostDirectoryUse.CopiedVolume => await AcquireCopyAsync(containerId, mount, cancellationToken),
                    HostDirectoryUse.EmptyDir => await guest.PrepareVolumeAsync($"empty-dir-{Safe(mount.VolumeName)}", null, cancellationToken),
                    HostDirectoryUse.PodShm => await guest.PrepareVolumeAsync(PodShmName, PodShmBytes, cancellationToken),
                    _ => throw new ArgumentException($"{mount.Describe()} is not provided by the pod ({mount.Use})", nameof(mounts)),
                };
            }
        }
        catch
        {
            await ReleaseLockedAsync(containerId, CancellationToken.None);
            throw;
        }
        finally
        {
            _gate.Release();
        }
        return sources;
    }

    /// <summary>The container is gone: copies nobody else uses stop being watched and are removed from the guest (best effort:
    /// a failure is logged, the copy goes with the VM at the latest).</summary>
    public async Task DetachAsync(string containerId, CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken);
        try
        {
            await ReleaseLockedAsync(containerId, cancellationToken);
        }
        finally
        {
            _gate.Release();
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _gate.WaitAsync();
        try
        {
            _disposed = true;
            foreach (SharedCopy copy in _copies.Values)
            {
                await copy.Sync.DisposeAsync();
            }
            _copies.Clear();
        }
        finally
        {
            _gate.Release();
        }
    }

    private async Task<string> AcquireCopyAsync(string containerId, HostDirectoryMount mount, CancellationToken cancellationToken)
    {
        string key = mount.Source.TrimEnd('/');
        if (!_copies.TryGetValue(key, out SharedCopy? copy))
        {
            string relative = $"volumes/{++_nextCopy}-{Safe(mount.Kind)}-{Safe(mount.VolumeName)}";
            VolumeSync sync = await VolumeSync.CopyAsync(mount, relative, guest, limits, log, containerId, cancellationToken);
            sync.StartWatching(syncInterval);
            copy = new SharedCopy(sync, new HashSet<string>(StringComparer.Ordinal));
            _copies[key] = copy;
        }
        copy.Users.Add(containerId);
        return copy.Sync.GuestPath;
    }

    private async Task ReleaseLockedAsync(string containerId, CancellationToken cancellationToken)
    {
        foreach ((string key, SharedCopy copy) in _copies.ToList())
        {
            if (!copy.Users.Remove(containerId) || copy.Users.Count > 0)
            {
                continue;
            }
            _copies.Remove(key);
            await copy.Sync.DisposeAsync();
            try
            {
                await guest.RemoveAsync(copy.Sync.GuestRelative, cancellationToken);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                log.Warn($"the guest copy {copy.Sync.GuestRelative} of {key} could not be removed ({e.Message}); it goes with the VM", containerId);
            }
        }
    }

    /// <summary>A volume or kind name as one readable path component (kubelet's are DNS labels; ctr users may give anything).</summary>
    private static string Safe(string name)
    {
        var safe = new StringBuilder(Math.Min(name.Length, 64));
        foreach (char c in name.Take(64))
        {
            safe.Append(char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.' ? c : '_');
        }
        return safe.Length == 0 || safe.ToString() is "." or ".." ? "volume" : safe.ToString();
    }
}
