using Google.Protobuf.Reflection;
using Grpc.Core;
using KataSharp.Agent.Protocol;
using KataSharp.Agent.Tests.Support;
using Xunit;

namespace KataSharp.Agent.Tests.Api;

/// <summary>
/// Every method of the agent's protocol is served: the agent binds its services through their generated code
/// (Hosting/GeneratedServiceMethodProvider), so a method the binding missed would answer UNIMPLEMENTED. Each method is
/// called with bytes that are no protobuf message, which a served method refuses while decoding the request, before its
/// handler runs (so no call has an effect on the agent).
/// </summary>
public sealed class ServiceBindingTests(AgentProcess agent) : IClassFixture<AgentProcess>
{
    private static readonly byte[] NotAMessage = [0xff, 0xff, 0xff];

    public static TheoryData<string, string> Methods()
    {
        var data = new TheoryData<string, string>();
        foreach (ServiceDescriptor service in new[] { AgentService.Descriptor, Health.Descriptor })
        {
            foreach (MethodDescriptor method in service.Methods)
            {
                data.Add(service.FullName, method.Name);
            }
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(Methods))]
    public async Task TheMethodIsServed(string service, string name)
    {
        MethodDescriptor method = (service == Health.Descriptor.FullName ? Health.Descriptor : AgentService.Descriptor).FindMethodByName(name);
        RpcException e = await Assert.ThrowsAsync<RpcException>(() => CallAsync(service, name, method.IsClientStreaming, method.IsServerStreaming));
        Assert.NotEqual(StatusCode.Unimplemented, e.StatusCode);
    }

    [Fact]
    public async Task AMethodTheProtocolDoesNotHave_IsUnimplemented()
    {
        RpcException e = await Assert.ThrowsAsync<RpcException>(() => CallAsync(AgentService.Descriptor.FullName, "NoSuchMethod", false, false));
        Assert.Equal(StatusCode.Unimplemented, e.StatusCode);
    }

    private async Task CallAsync(string service, string name, bool clientStreaming, bool serverStreaming)
    {
        var type = (clientStreaming, serverStreaming) switch
        {
            (false, false) => MethodType.Unary,
            (true, false) => MethodType.ClientStreaming,
            (false, true) => MethodType.ServerStreaming,
            _ => MethodType.DuplexStreaming,
        };
        var bytes = Marshallers.Create(b => b, b => b);
        var method = new Method<byte[], byte[]>(type, service, name, bytes, bytes);
        CallInvoker invoker = agent.Channel.CreateCallInvoker();
        var options = new CallOptions(deadline: DateTime.UtcNow.AddSeconds(30));
        switch (type)
        {
            case MethodType.Unary:
                await invoker.AsyncUnaryCall(method, null, options, NotAMessage);
                break;
            case MethodType.ServerStreaming:
                using (var call = invoker.AsyncServerStreamingCall(method, null, options, NotAMessage))
                {
                    while (await call.ResponseStream.MoveNext(CancellationToken.None))
                    {
                    }
                }
                break;
            default:
                using (var call = invoker.AsyncClientStreamingCall(method, null, options))
                {
                    await call.RequestStream.WriteAsync(NotAMessage);
                    await call.RequestStream.CompleteAsync();
                    await call.ResponseAsync;
                }
                break;
        }
    }
}
