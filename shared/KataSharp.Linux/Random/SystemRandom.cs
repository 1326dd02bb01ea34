using KataSharp.Linux.Interop;
using Tmds.Linux;
using static Tmds.Linux.LibC;

namespace KataSharp.Linux.Random;

/// <summary>getrandom(2): the kernel's CSPRNG, the entropy behind virtio-rng.</summary>
public static unsafe class SystemRandom
{
    // Tmds.LibC 0.5.0 has no getrandom binding; x86-64 syscall number from asm/unistd_64.h.
    private const int SysGetrandom = 318;

    /// <summary>Fills <paramref name="buffer"/> completely (blocks only until the pool is initialised at boot).</summary>
    public static void Fill(Span<byte> buffer)
    {
        fixed (byte* p = buffer)
        {
            int done = 0;
            while (done < buffer.Length)
            {
                long rc = (long)(ssize_t)syscall(SysGetrandom, (void*)(p + done), (size_t)(ulong)(buffer.Length - done), 0);
                if (rc > 0)
                {
                    done += (int)rc;
                }
                else if (rc < 0)
                {
                    Libc.IsInterrupted("getrandom");
                }
            }
        }
    }
}
