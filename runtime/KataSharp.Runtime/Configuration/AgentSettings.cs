namespace KataSharp.Runtime.Configuration;

/// <summary>[agent]: how the shim reaches the guest agent over vsock, and how long it waits for it.</summary>
public sealed record AgentSettings(
    int DialTimeoutSeconds,
    int ReadyTimeoutSeconds,
    int RequestTimeoutSeconds,
    int KeepAliveIntervalSeconds,
    int KeepAliveTimeoutSeconds);
