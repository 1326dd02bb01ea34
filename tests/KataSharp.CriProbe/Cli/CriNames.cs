using KataSharp.CriProbe.Cri;

namespace KataSharp.CriProbe.Cli;

/// <summary>CRI's own names for its enum values (crictl and the kubelet print these; the C# names are PascalCased).</summary>
internal static class CriNames
{
    public static string Of(ContainerState state) => state switch
    {
        ContainerState.ContainerCreated => "CONTAINER_CREATED",
        ContainerState.ContainerRunning => "CONTAINER_RUNNING",
        ContainerState.ContainerExited => "CONTAINER_EXITED",
        _ => "CONTAINER_UNKNOWN",
    };

    public static string Of(PodSandboxState state) => state switch
    {
        PodSandboxState.SandboxReady => "SANDBOX_READY",
        _ => "SANDBOX_NOTREADY",
    };
}
