using System.Runtime.InteropServices;

namespace KataSharp.Linux.Interop;

/// <summary>&lt;sys/xattr.h&gt;: extended attributes of a path, not following a final symlink.</summary>
internal static unsafe partial class XattrCalls
{
    [LibraryImport("libc.so.6", SetLastError = true)]
    public static partial int lsetxattr(byte* path, byte* name, byte* value, nuint size, int flags);

    [LibraryImport("libc.so.6", SetLastError = true)]
    public static partial nint lgetxattr(byte* path, byte* name, byte* value, nuint size);
}
