using Xunit;
using Xunit.Sdk;
using KataSharp.Vmm.Kvm;

namespace KataSharp.Vmm.Tests.Support;

/// <summary>
/// A test that needs a usable /dev/kvm: skipped, with the reason, where there is none. It also
/// carries the trait <c>Requires=Kvm</c> (<see cref="KvmTrait"/>), so the test command can run
/// exactly these tests in the nested test host when the machine it runs on has no /dev/kvm
/// (<c>dotnet test --filter Requires=Kvm</c>).
/// </summary>
[TraitDiscoverer("KataSharp.Vmm.Tests.Support.KvmTraitDiscoverer", "KataSharp.Vmm.Tests")]
[AttributeUsage(AttributeTargets.Method, AllowMultiple = false)]
public sealed class KvmFactAttribute : FactAttribute, ITraitAttribute
{
    private static readonly Lazy<string?> UnavailableReason = new(Probe);

    public KvmFactAttribute()
    {
        if (UnavailableReason.Value is { } reason)
        {
            Skip = $"needs /dev/kvm: {reason}";
        }
    }

    private static string? Probe()
    {
        try
        {
            using KvmSystem kvm = KvmSystem.Open();
            kvm.RequireCapabilities(KvmSystem.RequiredCapabilities);
            return null;
        }
        catch (KvmException e)
        {
            return e.Message;
        }
    }
}
