namespace KataSharp.Runtime.Volumes;

/// <summary>
/// The calls that turn the guest's copy (what was pushed last) into the host's tree, in the order that keeps kubelet's
/// atomic update atomic for a reader in the container: kubelet writes the new <c>..&lt;timestamp&gt;/</c> directory, then
/// renames a new <c>..data</c> link over the old one, then deletes the old directory. So: new and changed directories
/// (parents first), then files, then symlinks (the agent renames each into place: the <c>..data</c> retarget is the
/// switch), then removals of what vanished, topmost only (a directory takes its contents with it). Until the switch a
/// reader sees the old data through the old <c>..data</c>; after it, only new data.
/// </summary>
public static class VolumeSyncPlan
{
    public static IReadOnlyList<VolumeChange> Between(VolumeTree guest, VolumeTree host)
    {
        var directories = new List<VolumeChange>();
        var files = new List<VolumeChange>();
        var symlinks = new List<VolumeChange>();
        foreach ((string path, VolumeEntry entry) in host.Entries)
        {
            if (guest.Entries.TryGetValue(path, out VolumeEntry? old) && old == entry)
            {
                continue;
            }
            (entry.Kind switch
            {
                VolumeEntryKind.Directory => directories,
                VolumeEntryKind.File => files,
                _ => symlinks,
            }).Add(new VolumeChange(path, entry));
        }
        var removals = new List<VolumeChange>();
        foreach (string path in guest.Entries.Keys)
        {
            if (!host.Entries.ContainsKey(path) && !ParentVanished(path, host, guest))
            {
                removals.Add(new VolumeChange(path, null));
            }
        }
        return [.. directories, .. files, .. symlinks, .. removals];
    }

    /// <summary>Whether a directory above <paramref name="path"/> is removed too (its removal takes this entry along).</summary>
    private static bool ParentVanished(string path, VolumeTree host, VolumeTree guest)
    {
        for (int slash = path.LastIndexOf('/'); slash > 0; slash = path.LastIndexOf('/', slash - 1))
        {
            string parent = path[..slash];
            if (guest.Entries.ContainsKey(parent) && !host.Entries.ContainsKey(parent))
            {
                return true;
            }
        }
        return false;
    }
}
