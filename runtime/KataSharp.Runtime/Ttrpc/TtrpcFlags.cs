namespace KataSharp.Runtime.Ttrpc;

/// <summary>Byte 9 of a ttrpc frame header. Unary requests and all responses carry <see cref="None"/>.</summary>
[Flags]
public enum TtrpcFlags : byte
{
    None = 0,

    /// <summary>The sender will send no more data on this stream (Request, Data).</summary>
    RemoteClosed = 0x01,

    /// <summary>A non-unary request: Data frames follow (Request).</summary>
    RemoteOpen = 0x02,

    /// <summary>The Data frame carries no payload.</summary>
    NoData = 0x04,
}
