using System.Diagnostics.CodeAnalysis;
using Grpc.AspNetCore.Server.Model;
using Grpc.Core;
using Microsoft.Extensions.DependencyInjection;

namespace KataSharp.Agent.Hosting;

/// <summary>
/// Binds a gRPC service's methods through its generated <c>BindService(ServiceBinderBase, TServiceBase)</c>, called with
/// the one instance of the service, in place of gRPC's default provider. The default provider finds BindService by
/// reflection, invokes it dynamically and builds each method's invoker from reflection as well; under NativeAOT its
/// binder, made from open generics at run time, has the runtime type loader build every method's generic code at start:
/// 45 % of the agent's start-up CPU, seconds of a guest's boot under nested virtualization. Here every instantiation is
/// known when the binary is compiled.
/// </summary>
/// <remarks>The services are stateless over their singleton dependencies, so one instance serves every call
/// (registered as a singleton, it is also what gRPC's activator hands each call).</remarks>
internal static class GeneratedServiceMethodProvider
{
    /// <summary>Registers <typeparamref name="TService"/> as a singleton and its methods as bound by <paramref name="bindService"/>
    /// (the generated <c>BindService(ServiceBinderBase, TServiceBase)</c>).</summary>
    public static IServiceCollection AddGeneratedGrpcService<[DynamicallyAccessedMembers(GeneratedServiceMethodProvider<object>.ServiceMembers)] TService>(
        this IServiceCollection services, Action<ServiceBinderBase, TService> bindService) where TService : class
    {
        services.AddSingleton<TService>();
        return services.AddSingleton<IServiceMethodProvider<TService>>(provider =>
            new GeneratedServiceMethodProvider<TService>(provider.GetRequiredService<TService>(), bindService));
    }
}

internal sealed class GeneratedServiceMethodProvider<[DynamicallyAccessedMembers(ServiceMembers)] TService>(TService service, Action<ServiceBinderBase, TService> bindService)
    : IServiceMethodProvider<TService> where TService : class
{
    // What gRPC's own types declare they may reach on a service type (its activator and method lookup).
    internal const DynamicallyAccessedMemberTypes ServiceMembers =
        DynamicallyAccessedMemberTypes.PublicConstructors | DynamicallyAccessedMemberTypes.PublicMethods | DynamicallyAccessedMemberTypes.NonPublicMethods;

    public void OnServiceMethodDiscovery(ServiceMethodProviderContext<TService> context) => bindService(new Binder(context), service);

    /// <summary>Each generated AddMethod call becomes the context's method of the same kind, calling the bound handler.</summary>
    private sealed class Binder(ServiceMethodProviderContext<TService> context) : ServiceBinderBase
    {
        public override void AddMethod<TRequest, TResponse>(Method<TRequest, TResponse> method, UnaryServerMethod<TRequest, TResponse>? handler)
        {
            UnaryServerMethod<TRequest, TResponse> bound = Bound(method, handler);
            context.AddUnaryMethod(method, [], (_, request, call) => bound(request, call));
        }

        public override void AddMethod<TRequest, TResponse>(Method<TRequest, TResponse> method, ClientStreamingServerMethod<TRequest, TResponse>? handler)
        {
            ClientStreamingServerMethod<TRequest, TResponse> bound = Bound(method, handler);
            context.AddClientStreamingMethod(method, [], (_, requests, call) => bound(requests, call));
        }

        public override void AddMethod<TRequest, TResponse>(Method<TRequest, TResponse> method, ServerStreamingServerMethod<TRequest, TResponse>? handler)
        {
            ServerStreamingServerMethod<TRequest, TResponse> bound = Bound(method, handler);
            context.AddServerStreamingMethod(method, [], (_, request, responses, call) => bound(request, responses, call));
        }

        public override void AddMethod<TRequest, TResponse>(Method<TRequest, TResponse> method, DuplexStreamingServerMethod<TRequest, TResponse>? handler)
        {
            DuplexStreamingServerMethod<TRequest, TResponse> bound = Bound(method, handler);
            context.AddDuplexStreamingMethod(method, [], (_, requests, responses, call) => bound(requests, responses, call));
        }

        // BindService passes null handlers only when given no instance, which this provider never does.
        private static THandler Bound<THandler>(IMethod method, THandler? handler) where THandler : Delegate =>
            handler ?? throw new InvalidOperationException($"gRPC method {method.FullName} was bound without an implementation");
    }
}

