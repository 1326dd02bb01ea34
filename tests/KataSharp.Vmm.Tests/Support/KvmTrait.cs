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

/// <summary>
/// The trait every <see cref="VhostFactAttribute"/> test carries: <c>Requires=VhostNet</c>. No machine of this project's
/// kind has a vhost_net module, the test host's L1 loads it: scripts/test.sh runs these there as it runs the KVM ones.
/// </summary>
public static class VhostNetTrait
{
    public const string Value = "VhostNet";
}

/// <summary>Gives a <see cref="KvmFactAttribute"/> test its <see cref="KvmTrait"/> (xunit asks it by name).</summary>
public sealed class KvmTraitDiscoverer : ITraitDiscoverer
{
    public IEnumerable<KeyValuePair<string, string>> GetTraits(IAttributeInfo traitAttribute) =>
        [new(KvmTrait.Name, KvmTrait.Value)];
}

/// <summary>Gives a <see cref="VhostFactAttribute"/> test its <see cref="VhostNetTrait"/>.</summary>
public sealed class VhostNetTraitDiscoverer : ITraitDiscoverer
{
    public IEnumerable<KeyValuePair<string, string>> GetTraits(IAttributeInfo traitAttribute) =>
        [new(KvmTrait.Name, VhostNetTrait.Value)];
}
