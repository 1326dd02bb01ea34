using System.Net;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Server.Kestrel.Transport.Sockets;
using Microsoft.Extensions.Logging;

namespace KataSharp.Agent.Hosting.Listeners;

/// <summary>Kestrel transport for <see cref="AgentEndPoint"/>s (vsock or unix), chosen through
/// <see cref="IConnectionListenerFactorySelector"/>; other endpoints stay with Kestrel's own transport.</summary>
public sealed class DescriptorListenerFactory(ILoggerFactory loggers) : IConnectionListenerFactory, IConnectionListenerFactorySelector
{
    public bool CanBind(EndPoint endpoint) => endpoint is AgentEndPoint;

    public ValueTask<IConnectionListener> BindAsync(EndPoint endpoint, CancellationToken cancellationToken = default)
    {
        var address = ((AgentEndPoint)endpoint).Address;
        var contexts = new SocketConnectionContextFactory(new SocketConnectionFactoryOptions(), loggers.CreateLogger("transport"));
        return ValueTask.FromResult<IConnectionListener>(DescriptorListener.Bind((AgentEndPoint)endpoint, contexts, loggers.CreateLogger("listener")));
    }
}
