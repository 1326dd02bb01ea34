namespace KataSharp.Agent.Errors;

/// <summary>What a caller can do about a failure; the gRPC edge maps each to one status code (ErrorMapping).</summary>
public enum AgentErrorCode
{
    /// <summary>An unknown container, exec id or block device serial.</summary>
    NotFound,

    /// <summary>The id is taken.</summary>
    AlreadyExists,

    /// <summary>The request is valid but the lifecycle state (or the guest) does not allow it now.</summary>
    FailedPrecondition,

    /// <summary>Bad input; <see cref="AgentException.Field"/> names the offending field.</summary>
    InvalidArgument,

    /// <summary>A guest syscall failed unexpectedly.</summary>
    Internal,
}
