using KataSharp.Linux.Interop;

namespace KataSharp.Linux.Random;

/// <summary>getrandom(2): the kernel's CSPRNG, the entropy behind virtio-rng.</summary>
public static unsafe class SystemRandom
{
    /// <summary>Fills <paramref name="buffer"/> completely (blocks only until the pool is initialised at boot).</summary>
    public static void Fill(Span<byte> buffer)
    {
        fixed (byte* p = buffer)
        {
            int done = 0;
            while (done < buffer.Length)
            {
                long rc = RandomCalls.getrandom(p + done, (nuint)(buffer.Length - done), 0);
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
