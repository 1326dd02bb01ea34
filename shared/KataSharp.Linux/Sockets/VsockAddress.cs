namespace KataSharp.Linux.Sockets;

/// <summary>An AF_VSOCK address: context id (2 = the host, seen from a guest) and port.</summary>
public readonly record struct VsockAddress(uint Cid, uint Port)
{
    public override string ToString() => $"vsock {Cid}:{Port}";
}
