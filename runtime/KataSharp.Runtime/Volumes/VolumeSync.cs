using KataSharp.Linux;
using KataSharp.Linux.Files;
using KataSharp.Runtime.Logging;
using KataSharp.Runtime.Model;

namespace KataSharp.Runtime.Volumes;

/// <summary>
/// One copied kubelet volume (configmap, secret, projected, downward API): the tree is copied into the guest at Create,
/// then the host directory is polled and every change pushed in <see cref="VolumeSyncPlan"/>'s order, so a container
/// sees kubelet's atomic <c>..data</c> swap as one switch. Polling (not inotify): it survives the directory being
/// replaced, needs no fd per subdirectory, and a 1 s delay is what kubelet's own sync period makes invisible.
/// Files are read below the volume's directory only, never through a symlink (<see cref="SmallFile.ReadBeneath"/>); no
/// host path is ever built from guest data. An update over the <see cref="VolumeLimits"/>, an unreadable source or a
/// failed guest call is logged (once per distinct reason) and not applied; the next poll tries again from what the
/// guest has, so nothing is lost and the shim never fails for it.
/// </summary>
public sealed class VolumeSync : IAsyncDisposable
{
    private readonly HostDirectoryMount _mount;
    private readonly string _guestRelative;
    private readonly IGuestVolumes _guest;
    private readonly VolumeLimits _limits;
    private readonly RuntimeLog _log;
    private readonly string _containerId;
    private readonly CancellationTokenSource _stop = new();
    private VolumeTree _pushed = VolumeTree.Empty;
    private string? _lastProblem;
    private Task _watch = Task.CompletedTask;

    private VolumeSync(HostDirectoryMount mount, string guestRelative, IGuestVolumes guest, VolumeLimits limits, RuntimeLog log, string containerId)
    {
        _mount = mount;
        _guestRelative = guestRelative;
        _guest = guest;
        _limits = limits;
        _log = log;
        _containerId = containerId;
    }

    /// <summary>Guest path of the copy (the bind source in the guest spec).</summary>
    public string GuestPath { get; private set; } = "";

    /// <summary>Relative path of the copy below the agent's shared directory.</summary>
    public string GuestRelative => _guestRelative;

    /// <summary>Copies the whole tree; Create fails (InvalidArgument naming the mount, the volume and the limit) when it is over the limits.</summary>
    public static async Task<VolumeSync> CopyAsync(HostDirectoryMount mount, string guestRelative, IGuestVolumes guest, VolumeLimits limits,
        RuntimeLog log, string containerId, CancellationToken cancellationToken)
    {
        var sync = new VolumeSync(mount, guestRelative, guest, limits, log, containerId);
        VolumeTree tree;
        try
        {
            tree = VolumeTree.Read(mount.Source, limits);
        }
        catch (VolumeLimitException e)
        {
            throw new RuntimeException(RuntimeError.InvalidArgument, $"{mount.Describe()} is over the per-volume limit: {e.Message}; " +
                "katasharp copies such volumes into the VM's memory, raise the limit there to allow more");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new RuntimeException(RuntimeError.InvalidArgument, $"{mount.Describe()} cannot be read: {e.Message}");
        }
        sync.GuestPath = await guest.WriteDirectoryAsync(guestRelative, new DirectoryInfo(mount.Source).UnixFileMode, cancellationToken);
        try
        {
            await sync.ApplyAsync(VolumeSyncPlan.Between(VolumeTree.Empty, tree), cancellationToken);
        }
        catch (Exception e)
        {
            await sync.RemovePartialCopyAsync(); // a half copy would only hold guest RAM
            throw e is LinuxException ? new RuntimeException(RuntimeError.InvalidArgument, $"{mount.Describe()} cannot be copied into the VM: {e.Message}") : e;
        }
        sync._pushed = tree;
        log.Debug($"{mount.Describe()} copied to {sync.GuestPath}: {tree.Entries.Count} entries, {tree.Bytes} bytes", containerId);
        return sync;
    }

    /// <summary>Starts polling the source every <paramref name="interval"/> until disposed.</summary>
    public void StartWatching(TimeSpan interval) => _watch = Task.Run(() => WatchAsync(interval, _stop.Token));

    /// <summary>One poll: pushes what changed since the last one. Returns the number of changes applied (0 also when refused).
    /// Never throws but for cancellation.</summary>
    public async Task<int> SyncOnceAsync(CancellationToken cancellationToken)
    {
        IReadOnlyList<VolumeChange> plan;
        VolumeTree host;
        try
        {
            host = VolumeTree.Read(_mount.Source, _limits);
            plan = VolumeSyncPlan.Between(_pushed, host);
            if (plan.Count == 0)
            {
                return 0;
            }
            await ApplyAsync(plan, cancellationToken);
        }
        catch (VolumeLimitException e)
        {
            Problem($"{_mount.Describe()}: update not applied, the volume is over the per-volume limit: {e.Message}; the container keeps the last copy");
            return 0;
        }
        catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            Problem($"{_mount.Describe()}: update not applied ({e.Message}); retrying at the next poll");
            return 0;
        }
        _pushed = host;
        _lastProblem = null;
        _log.Debug($"{_mount.Describe()}: {plan.Count} changes pushed to the guest", _containerId);
        return plan.Count;
    }

    public async ValueTask DisposeAsync()
    {
        _stop.Cancel();
        await _watch;
        _stop.Dispose();
    }

    private async Task WatchAsync(TimeSpan interval, CancellationToken cancellationToken)
    {
        using var timer = new PeriodicTimer(interval);
        try
        {
            while (await timer.WaitForNextTickAsync(cancellationToken))
            {
                await SyncOnceAsync(cancellationToken);
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
    }

    private async Task ApplyAsync(IReadOnlyList<VolumeChange> plan, CancellationToken cancellationToken)
    {
        int maxFileBytes = (int)Math.Min(_limits.MaxBytes, int.MaxValue);
        foreach (VolumeChange change in plan)
        {
            string guestPath = $"{_guestRelative}/{change.Path}";
            switch (change.Entry)
            {
                case null:
                    await _guest.RemoveAsync(guestPath, cancellationToken);
                    break;
                case { Kind: VolumeEntryKind.Directory } directory:
                    await _guest.WriteDirectoryAsync(guestPath, directory.Mode, cancellationToken);
                    break;
                case { Kind: VolumeEntryKind.File } file:
                    byte[] content = SmallFile.ReadBeneath(_mount.Source, change.Path, maxFileBytes);
                    await _guest.WriteFileAsync(guestPath, content, file.Mode, cancellationToken);
                    break;
                case { LinkTarget: { } target }:
                    await _guest.WriteSymlinkAsync(guestPath, target, cancellationToken);
                    break;
            }
        }
    }

    private async Task RemovePartialCopyAsync()
    {
        try
        {
            await _guest.RemoveAsync(_guestRelative, CancellationToken.None);
        }
        catch (Exception e)
        {
            _log.Warn($"the partial guest copy {_guestRelative} of {_mount.Describe()} could not be removed ({e.Message}); it goes with the VM", _containerId);
        }
    }

    /// <summary>Logs a sync problem once until it changes or a sync succeeds (a poll a second must not flood the log).</summary>
    private void Problem(string message)
    {
        if (message != _lastProblem)
        {
            _lastProblem = message;
            _log.Warn(message, _containerId);
        }
    }
}
