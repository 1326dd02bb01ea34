using Google.Protobuf;

namespace KataSharp.Runtime.Events;

/// <summary>One event on its way to containerd: topic, message, and when it happened.</summary>
public sealed record TaskEvent(string Topic, IMessage Message, DateTimeOffset Timestamp);
