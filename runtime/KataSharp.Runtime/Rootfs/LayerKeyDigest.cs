using Org.BouncyCastle.Crypto.Digests;

namespace KataSharp.Runtime.Rootfs;

/// <summary>
/// SHA-256 of a layer's identity text, the layer cache key's digest (<see cref="LayerImageCache.KeyOf"/>). It must stay a
/// cryptographic hash: two layers whose keys collided would share one cached image, so a container would run another
/// image's root filesystem. It is BouncyCastle's managed SHA-256 rather than .NET's <c>SHA256</c>, which on Linux calls
/// OpenSSL: the first hash would map libcrypto and libssl into the serving shim for the pod's whole life (about 2 MiB
/// of Pss per pod, issue 15) for one digest of a hundred bytes per layer. Same algorithm, so the same keys as before.
/// </summary>
public static class LayerKeyDigest
{
    /// <summary>The SHA-256 digest (32 bytes) of <paramref name="data"/>.</summary>
    public static byte[] Sha256(ReadOnlySpan<byte> data)
    {
        var digest = new Sha256Digest();
        digest.BlockUpdate(data);
        byte[] result = new byte[digest.GetDigestSize()];
        digest.DoFinal(result);
        return result;
    }
}
