namespace KataSharp.Vmm.Virtio.Devices.Vsock;

/// <summary>Outcome of reading a host client's CONNECT line so far.</summary>
public enum HandshakeResult
{
    /// <summary>No newline yet: wait for more bytes.</summary>
    Incomplete,

    /// <summary>A valid "CONNECT port" line.</summary>
    Connect,

    /// <summary>Malformed or too long: drop the client.</summary>
    Invalid,

    /// <summary>The client went away.</summary>
    Closed,
}
