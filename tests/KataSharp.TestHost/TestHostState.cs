namespace KataSharp.TestHost;

/// <summary>The test host's lifecycle; <see cref="TestHostLifecycle"/> holds the legal moves.</summary>
internal enum TestHostState
{
    Starting,
    Ready,
    /// <summary>The machine died or the channel broke while it was needed; only stopping is left.</summary>
    Failed,
    Stopping,
    Stopped,
}
