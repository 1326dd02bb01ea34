namespace KataSharp.Linux.Interop;

/// <summary>sys/stat.h: the file-type bits of st_mode. C names, so the layout test compares each with the header.</summary>
internal static class StatCalls
{
    public const uint S_IFMT = 0xf000;
    public const uint S_IFIFO = 0x1000;
    public const uint S_IFCHR = 0x2000;
    public const uint S_IFDIR = 0x4000;
    public const uint S_IFBLK = 0x6000;
    public const uint S_IFREG = 0x8000;
    public const uint S_IFLNK = 0xa000;
}
