using KataSharp.Vmm.Vhost;
using Xunit;

namespace KataSharp.Vmm.Tests.Support;

/// <summary>A test against the host kernel's vhost-net: needs /dev/vhost-net openable (modprobe vhost_net, root);
/// skipped, with the reason, where it is not (the development machine has no vhost_net module).</summary>
public sealed class VhostFactAttribute : FactAttribute
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
