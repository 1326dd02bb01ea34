using KataSharp.Vmm.Vhost;
using Xunit;
using Xunit.Sdk;

namespace KataSharp.Vmm.Tests.Support;

/// <summary>A test against the host kernel's vhost-net: needs /dev/vhost-net openable (modprobe vhost_net, root);
/// skipped, with the reason, where it is not (the development machine has no vhost_net module), and then run by
/// scripts/test.sh in the nested test host through its trait <c>Requires=VhostNet</c>.</summary>
[TraitDiscoverer("KataSharp.Vmm.Tests.Support.VhostNetTraitDiscoverer", "KataSharp.Vmm.Tests")]
[AttributeUsage(AttributeTargets.Method, AllowMultiple = false)]
public sealed class VhostFactAttribute : FactAttribute, ITraitAttribute
{
    private static readonly Lazy<string?> UnavailableReason = new(() => VhostNet.Unavailability());

    public VhostFactAttribute()
    {
        if (UnavailableReason.Value is { } reason)
        {
            Skip = $"needs vhost-net: {reason}";
        }
    }
}
