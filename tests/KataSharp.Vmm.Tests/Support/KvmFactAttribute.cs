using Xunit;
using KataSharp.Vmm.Kvm;

namespace KataSharp.Vmm.Tests.Support;

/// <summary>A test that needs a usable /dev/kvm: skipped, with the reason, where there is none.</summary>
public sealed class KvmFactAttribute : FactAttribute
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
