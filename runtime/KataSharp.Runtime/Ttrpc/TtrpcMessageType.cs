namespace KataSharp.Runtime.Ttrpc;

/// <summary>Byte 8 of a ttrpc frame header (containerd/ttrpc channel.go).</summary>
public enum TtrpcMessageType : byte
{
    Request = 0x01,
    Response = 0x02,

    /// <summary>Streaming data (ttrpc 1.2+). The Task v2 API is unary, so servers ignore it.</summary>
    Data = 0x03,
}
