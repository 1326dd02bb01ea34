namespace KataSharp.Runtime.Ttrpc;

/// <summary>A call that ended with a non-OK status, on either side of the connection.</summary>
public sealed class TtrpcException : Exception
{
    public TtrpcException(TtrpcStatusCode code, string message) : base(message)
    {
        Code = code;
    }

    public TtrpcStatusCode Code { get; }

    public override string ToString() => $"{Code}: {Message}";
}
