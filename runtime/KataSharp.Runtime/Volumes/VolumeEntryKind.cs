namespace KataSharp.Runtime.Volumes;

public enum VolumeEntryKind
{
    Directory,
    File,
    Symlink,
}
