using KataSharp.Linux.Interop;

namespace KataSharp.Linux.Files;

/// <summary>Named pipes (mkfifo(3)), the currency of containerd's stdio and shim log.</summary>
public static class Fifo
{
    public static unsafe void Create(string path, int mode = 0x180 /* 0600 */)
    {
        byte[] cpath = Libc.NullTerminated(path);
        fixed (byte* p = cpath)
        {
            Libc.Check(StatCalls.mkfifo(p, (uint)mode), $"mkfifo({path})");
        }
    }
}
