using Xunit.Abstractions;
using Xunit.Sdk;

namespace KataSharp.Vmm.Tests.Support;

/// <summary>
/// The trait every <see cref="KvmFactAttribute"/> test carries: <c>Requires=Kvm</c>, the filter
/// scripts/test.sh gives <c>dotnet test</c> in the nested test host.
/// </summary>
public static class KvmTrait
{
    public const string Name = "Requires";
    public const string Value = "Kvm";
}

/// <summary>Gives a <see cref="KvmFactAttribute"/> test its <see cref="KvmTrait"/> (xunit asks it by name).</summary>
public sealed class KvmTraitDiscoverer : ITraitDiscoverer
{
    public IEnumerable<KeyValuePair<string, string>> GetTraits(IAttributeInfo traitAttribute) =>
        [new(KvmTrait.Name, KvmTrait.Value)];
}
