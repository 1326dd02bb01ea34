namespace KataSharp.Linux.Mounts;

/// <summary>mount(2) flags (linux/mount.h), named after their MS_* constants.</summary>
[Flags]
public enum MountFlags : ulong
{
    None = 0,
    ReadOnly = 0x1,          // MS_RDONLY
    NoSuid = 0x2,            // MS_NOSUID
    NoDev = 0x4,             // MS_NODEV
    NoExec = 0x8,            // MS_NOEXEC
    Synchronous = 0x10,      // MS_SYNCHRONOUS
    Remount = 0x20,          // MS_REMOUNT
    Mandlock = 0x40,         // MS_MANDLOCK
    DirSync = 0x80,          // MS_DIRSYNC
    NoSymFollow = 0x100,     // MS_NOSYMFOLLOW
    NoAtime = 0x400,         // MS_NOATIME
    NoDirAtime = 0x800,      // MS_NODIRATIME
    Bind = 0x1000,           // MS_BIND
    Move = 0x2000,           // MS_MOVE
    Recursive = 0x4000,      // MS_REC
    Silent = 0x8000,         // MS_SILENT
    Unbindable = 0x20000,    // MS_UNBINDABLE
    Private = 0x40000,       // MS_PRIVATE
    Slave = 0x80000,         // MS_SLAVE
    Shared = 0x100000,       // MS_SHARED
    RelAtime = 0x200000,     // MS_RELATIME
    StrictAtime = 0x1000000, // MS_STRICTATIME
    LazyTime = 0x2000000,    // MS_LAZYTIME
}
