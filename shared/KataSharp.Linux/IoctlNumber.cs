namespace KataSharp.Linux;

/// <summary>
/// The kernel's _IO/_IOR/_IOW/_IOWR encoding (include/uapi/asm-generic/ioctl.h):
/// nr in bits 0-7, type in 8-15, argument size in 16-29, direction in 30-31.
/// Request numbers are computed here and named where they are used, never written as literals.
/// </summary>
public static class IoctlNumber
{
    private const int NrShift = 0;
    private const int TypeShift = 8;
    private const int SizeShift = 16;
    private const int DirShift = 30;
    private const uint DirNone = 0;
    private const uint DirWrite = 1;
    private const uint DirRead = 2;

    public static uint Io(uint type, uint nr) => Encode(DirNone, type, nr, 0);

    public static uint Ior(uint type, uint nr, int size) => Encode(DirRead, type, nr, size);

    public static uint Iow(uint type, uint nr, int size) => Encode(DirWrite, type, nr, size);

    public static uint Iowr(uint type, uint nr, int size) => Encode(DirRead | DirWrite, type, nr, size);

    private static uint Encode(uint dir, uint type, uint nr, int size)
    {
        if (size < 0 || size >= (1 << 14))
        {
            throw new ArgumentOutOfRangeException(nameof(size), size, "ioctl argument size must fit in 14 bits");
        }
        return (dir << DirShift) | (type << TypeShift) | (nr << NrShift) | ((uint)size << SizeShift);
    }
}
