namespace KataSharp.Vmm.Virtio.Devices.Rng;

/// <summary>The host side of virtio-rng: fills buffers with random bytes.</summary>
public interface IEntropySource
{
    void Fill(Span<byte> destination);
}
