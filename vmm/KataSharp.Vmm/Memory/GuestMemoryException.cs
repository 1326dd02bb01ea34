using KataSharp.Vmm.Errors;

namespace KataSharp.Vmm.Memory;

/// <summary>A guest-supplied address range that is not guest RAM. Devices catch it and fail the request.</summary>
public sealed class GuestMemoryException : VmmException
{
    public GuestMemoryException(GuestAddress address, ulong length, string reason)
        : base(VmmFailure.GuestFault, $"guest range {address} +{length} rejected: {reason}")
    {
        Address = address;
        Length = length;
    }

    public GuestAddress Address { get; }

    public ulong Length { get; }
}
