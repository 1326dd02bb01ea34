using System.Net;

namespace KataSharp.Agent.Hosting.Listeners;

/// <summary>
/// A Kestrel endpoint served by <see cref="DescriptorListenerFactory"/>: the listening socket is made
/// with libc (KataSharp.Linux) because .NET's Socket cannot create or accept on AF_VSOCK
/// (dotnet/runtime#58327; a Socket wrapped around a vsock fd has no endpoint and refuses Accept).
/// </summary>
public sealed class AgentEndPoint(ListenAddress address) : EndPoint
{
    public ListenAddress Address { get; } = address;

    public override string ToString() => Address.ToString();
}
