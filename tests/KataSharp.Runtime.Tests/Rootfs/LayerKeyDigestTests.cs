using System.Security.Cryptography;
using System.Text;
using KataSharp.Runtime.Rootfs;
using KataSharp.Runtime.Tests.Fakes;
using Xunit;

namespace KataSharp.Runtime.Tests.Rootfs;

/// <summary>
/// The layer cache key's managed SHA-256: the real algorithm (the published test vectors), and byte for byte .NET's
/// SHA256 (the OpenSSL one the key used before), so every image already in a host's cache keeps its key.
/// </summary>
public class LayerKeyDigestTests
{
    [Theory]
    [InlineData("", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")]
    [InlineData("abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")]
    [InlineData("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq", "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")]
    public void It_is_sha256(string text, string expected) =>
        Assert.Equal(expected, Convert.ToHexStringLower(LayerKeyDigest.Sha256(Encoding.ASCII.GetBytes(text))));

    [Fact]
    public void It_agrees_with_dotnets_sha256_across_block_boundaries()
    {
        var random = new Random(15);
        // Every length around the 64-byte block and the 56-byte padding limit, up to several blocks (paths are long).
        for (int length = 0; length <= 300; length++)
        {
            byte[] data = new byte[length];
            random.NextBytes(data);
            Assert.Equal(SHA256.HashData(data), LayerKeyDigest.Sha256(data));
        }
    }

    [Fact]
    public void A_layer_keeps_the_key_it_had_before_the_digest_became_managed()
    {
        using var directory = new TempDirectory();
        string layer = directory.Combine("layer");
        Directory.CreateDirectory(layer);
        var id = KataSharp.Linux.Files.FileIdentity.Of(layer);
        string identity = $"{Path.GetFullPath(layer)}\n{id.Device}\n{id.Inode}\n{id.ChangeTimeNanoseconds}";
        string previousKey = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(identity)))[..32];

        Assert.Equal(previousKey, LayerImageCache.KeyOf(layer));
    }
}
