using System.Reflection;
using Xunit;
using Xunit.Sdk;

namespace KataSharp.Vmm.Tests.Support;

/// <summary>
/// xunit finds a trait's discoverer by type and assembly name: a typo there drops the trait
/// silently, and then scripts/test.sh's <c>--filter Requires=Kvm</c> would select nothing.
/// </summary>
public sealed class KvmTraitTests
{
    [Fact]
    public void KvmFact_names_its_trait_discoverer_by_the_right_type_and_assembly()
    {
        CustomAttributeData discoverer = typeof(KvmFactAttribute).GetCustomAttributesData()
            .Single(a => a.AttributeType == typeof(TraitDiscovererAttribute));
        Assert.Equal(typeof(KvmTraitDiscoverer).FullName, discoverer.ConstructorArguments[0].Value);
        Assert.Equal(typeof(KvmTraitDiscoverer).Assembly.GetName().Name, discoverer.ConstructorArguments[1].Value);
        Assert.True(typeof(Xunit.Sdk.ITraitAttribute).IsAssignableFrom(typeof(KvmFactAttribute)));
    }

    [Fact]
    public void The_trait_is_Requires_Kvm() =>
        Assert.Equal([new KeyValuePair<string, string>("Requires", "Kvm")], new KvmTraitDiscoverer().GetTraits(null!));
}
