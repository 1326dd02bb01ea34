using Grpc.Core;
using KataSharp.Agent.Protocol;

namespace KataSharp.Agent.Services;

/// <summary>Liveness: SERVING as soon as the gRPC server answers.</summary>
public sealed class HealthGrpcService : Health.HealthBase
{
    public override Task<HealthCheckResponse> Check(HealthCheckRequest request, ServerCallContext context) =>
        Task.FromResult(new HealthCheckResponse { Status = HealthCheckResponse.Types.Status.Serving });
}
