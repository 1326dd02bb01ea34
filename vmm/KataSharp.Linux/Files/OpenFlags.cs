namespace KataSharp.Linux.Files;

/// <summary>open(2) access-mode and status flags (x86-64 values) for <see cref="FileDescriptor.Open"/>.
/// O_CLOEXEC is always added by Open.</summary>
[Flags]
public enum OpenFlags
{
    ReadOnly = 0x0,
    WriteOnly = 0x1,
    ReadWrite = 0x2,
    NonBlocking = 0x800,
}
