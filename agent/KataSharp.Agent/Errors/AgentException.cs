namespace KataSharp.Agent.Errors;

/// <summary>The engine's one exception type: a code a caller can act on, and for bad input the field path.</summary>
public sealed class AgentException : Exception
{
    public AgentException(AgentErrorCode code, string message, string? field = null, Exception? inner = null)
        : base(field is null ? message : $"{field}: {message}", inner)
    {
        Code = code;
        Field = field;
    }

    public AgentErrorCode Code { get; }

    /// <summary>For <see cref="AgentErrorCode.InvalidArgument"/>: the spec/request field path, e.g. <c>process.args</c>.</summary>
    public string? Field { get; }

    public static AgentException NotFound(string message) => new(AgentErrorCode.NotFound, message);

    public static AgentException AlreadyExists(string message) => new(AgentErrorCode.AlreadyExists, message);

    public static AgentException FailedPrecondition(string message) => new(AgentErrorCode.FailedPrecondition, message);

    public static AgentException Invalid(string field, string message) => new(AgentErrorCode.InvalidArgument, message, field);

    public static AgentException Internal(string message, Exception? inner = null) => new(AgentErrorCode.Internal, message, null, inner);
}
