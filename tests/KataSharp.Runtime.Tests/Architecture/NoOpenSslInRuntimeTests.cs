using System.Reflection.Metadata;
using System.Reflection.PortableExecutable;
using KataSharp.Runtime.Rootfs;
using Xunit;

namespace KataSharp.Runtime.Tests.Architecture;

/// <summary>
/// The serving shim's library uses no .NET cryptography or TLS type: on Linux those call OpenSSL, and the first call maps
/// libcrypto and libssl into the shim for the pod's whole life (about 2 MiB of Pss per pod, issue 15). The layer cache
/// key's SHA-256 is managed (<see cref="LayerKeyDigest"/>). The start verb's socket address (KataSharp.Shim) may hash
/// with .NET's SHA256: that process exits at once.
/// </summary>
public sealed class NoOpenSslInRuntimeTests
{
    private static readonly string[] OpenSslNamespaces = ["System.Security.Cryptography", "System.Net.Security"];

    [Fact]
    public void KataSharp_Runtime_references_no_type_backed_by_openssl()
    {
        using var stream = File.OpenRead(Path.Combine(AppContext.BaseDirectory, typeof(LayerImageCache).Assembly.GetName().Name + ".dll"));
        using var pe = new PEReader(stream);
        MetadataReader metadata = pe.GetMetadataReader();

        var used = metadata.TypeReferences
            .Select(handle => metadata.GetTypeReference(handle))
            .Select(type => $"{metadata.GetString(type.Namespace)}.{metadata.GetString(type.Name)}")
            .Where(name => OpenSslNamespaces.Any(prefix => name.StartsWith(prefix + ".", StringComparison.Ordinal)))
            .Distinct()
            .ToList();

        Assert.True(used.Count == 0, $"KataSharp.Runtime uses {string.Join(", ", used)}: OpenSSL would be loaded into the serving shim");
    }
}
