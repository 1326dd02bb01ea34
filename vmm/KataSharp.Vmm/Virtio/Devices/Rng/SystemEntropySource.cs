using KataSharp.Linux.Random;

namespace KataSharp.Vmm.Virtio.Devices.Rng;

/// <summary>The host kernel's CSPRNG through getrandom(2).</summary>
public sealed class SystemEntropySource : IEntropySource
{
    public static readonly SystemEntropySource Instance = new();

    public void Fill(Span<byte> destination) => SystemRandom.Fill(destination);
}
