namespace KataSharp.Linux.Files;

/// <summary>open(2) access-mode and status flags (x86-64 values) for <see cref="FileDescriptor.Open"/>.
/// O_CLOEXEC is always added by Open.</summary>
[Flags]
public enum OpenFlags
{
    ReadOnly = 0x0,
    WriteOnly = 0x1,
    ReadWrite = 0x2,
    /// <summary>O_EXCL. Without O_CREAT it means something only for a block device: open it exclusively, failing
    /// with EBUSY while it is mounted or exclusively open elsewhere (open(2)); on other files Linux ignores it.</summary>
    Exclusive = 0x80,
    NonBlocking = 0x800,
    /// <summary>O_PATH: a descriptor that only names the file (for fstat, /proc/self/fd/N, *at calls); no read or write.</summary>
    Path = 0x200000,
    /// <summary>O_DIRECTORY: fail unless the path is a directory.</summary>
    Directory = 0x10000,
}
