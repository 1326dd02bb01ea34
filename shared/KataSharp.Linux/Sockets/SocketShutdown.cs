namespace KataSharp.Linux.Sockets;

/// <summary>Which direction shutdown(2) closes (SHUT_RD, SHUT_WR, SHUT_RDWR).</summary>
public enum SocketShutdown
{
    Receive = 0,
    Send = 1,
    Both = 2,
}
