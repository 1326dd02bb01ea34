using KataSharp.Linux.Interop;

namespace KataSharp.Linux.Files;

/// <summary>
/// Extended attributes of a path (the path itself, not a symlink's target), e.g. overlayfs's
/// trusted.overlay.opaque marker on a layer directory whose lower content was deleted.
/// </summary>
public static unsafe class ExtendedAttributes
{
    /// <summary>The most bytes one attribute value may have here (the kernel's XATTR_SIZE_MAX).</summary>
    public const int MaxValueSize = 64 * 1024;

    public static void Set(string path, string name, ReadOnlySpan<byte> value)
    {
        byte[] p = Libc.NullTerminated(path), n = Libc.NullTerminated(name);
        fixed (byte* pp = p, pn = n, pv = value)
        {
            Libc.Check(XattrCalls.lsetxattr(pp, pn, pv, (nuint)value.Length, 0), $"lsetxattr {path} {name}");
        }
    }

    /// <summary>The attribute's value; a <see cref="LinuxException"/> with ENODATA when the path has none by that name.</summary>
    public static byte[] Get(string path, string name)
    {
        byte[] p = Libc.NullTerminated(path), n = Libc.NullTerminated(name), buffer = new byte[MaxValueSize];
        fixed (byte* pp = p, pn = n, pb = buffer)
        {
            long length = Libc.Check((long)XattrCalls.lgetxattr(pp, pn, pb, (nuint)buffer.Length), $"lgetxattr {path} {name}");
            return buffer.AsSpan(0, (int)length).ToArray();
        }
    }
}
