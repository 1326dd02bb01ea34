namespace KataSharp.Runtime.Ttrpc;

/// <summary>One received frame. An oversized frame's payload was discarded and is empty.</summary>
public sealed record TtrpcFrame(TtrpcFrameHeader Header, byte[] Payload);
