namespace KataSharp.Runtime.Configuration;

/// <summary>[agent]: how the shim reaches the guest agent over vsock.</summary>
public sealed record AgentSettings(int DialTimeoutSeconds, int ReadyTimeoutSeconds);
