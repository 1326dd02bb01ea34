namespace KataSharp.Linux.Files;

/// <summary>What a directory entry is, seen without following it (lstat's file type).</summary>
public enum DirectoryEntryKind
{
    File,
    Directory,
    Symlink,
    /// <summary>A FIFO, socket or device node.</summary>
    Other,
}
