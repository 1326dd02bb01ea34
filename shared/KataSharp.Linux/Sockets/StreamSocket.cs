using KataSharp.Linux.Files;
using KataSharp.Linux.Interop;
using static KataSharp.Linux.Interop.SocketCalls;

namespace KataSharp.Linux.Sockets;

/// <summary>
/// A SOCK_STREAM socket (AF_UNIX or AF_VSOCK), listening or connected. Sockets made by the
/// <c>*NonBlocking</c> factories report "would block" as -1 / null instead of throwing, so an
/// epoll loop can drive them; the blocking factories suit simple threads (tests, tools).
/// Sends never raise SIGPIPE (MSG_NOSIGNAL): a closed peer is an <see cref="Errno.EPIPE"/> error.
/// </summary>
public sealed unsafe class StreamSocket : IDisposable
{
    /// <summary>AF_VSOCK: "any CID" for bind.</summary>
    public const uint VsockAnyCid = uint.MaxValue;

    /// <summary>AF_VSOCK: the host's CID as seen from a guest.</summary>
    public const uint VsockHostCid = 2;

    private StreamSocket(FileDescriptor fd) => Descriptor = fd;

    public FileDescriptor Descriptor { get; }

    /// <summary>Creates a unix socket listening at <paramref name="path"/> (an existing socket file is an error:
    /// the caller decides whether a stale one may be removed).</summary>
    public static StreamSocket ListenUnix(string path, int backlog = 128, bool nonBlocking = true)
    {
        StreamSocket socket = Create(AF_UNIX, nonBlocking);
        try
        {
            SockaddrUn address = UnixAddress(path);
            socket.Check(bind(socket.Descriptor.Value, &address, (uint)sizeof(SockaddrUn)), $"bind({path})");
            socket.Check(listen(socket.Descriptor.Value, backlog), $"listen({path})");
            return socket;
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <summary>Connects to the unix socket at <paramref name="path"/>. A non-blocking connect that cannot
    /// complete at once (listener backlog full) throws with EAGAIN rather than waiting.</summary>
    public static StreamSocket ConnectUnix(string path, bool nonBlocking = true)
    {
        StreamSocket socket = Create(AF_UNIX, nonBlocking);
        try
        {
            SockaddrUn address = UnixAddress(path);
            socket.ConnectRetryingInterrupts(&address, sizeof(SockaddrUn), $"connect({path})");
            return socket;
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <summary>A connected pair of unix stream sockets (socketpair(2)).</summary>
    public static (StreamSocket First, StreamSocket Second) CreateUnixPair(bool nonBlocking = true)
    {
        int* fds = stackalloc int[2];
        int type = SOCK_STREAM | SOCK_CLOEXEC | (nonBlocking ? SOCK_NONBLOCK : 0);
        Libc.Check(socketpair(AF_UNIX, type, 0, fds), "socketpair(AF_UNIX)");
        return (new StreamSocket(new FileDescriptor(fds[0])), new StreamSocket(new FileDescriptor(fds[1])));
    }

    /// <summary>An AF_VSOCK socket listening on <paramref name="port"/> for any CID (guest side).</summary>
    public static StreamSocket ListenVsock(uint port, int backlog = 128, bool nonBlocking = false)
    {
        StreamSocket socket = Create(AF_VSOCK, nonBlocking);
        try
        {
            SockaddrVm address = VsockAddress(VsockAnyCid, port);
            socket.Check(bind(socket.Descriptor.Value, &address, (uint)sizeof(SockaddrVm)), $"bind(vsock port {port})");
            socket.Check(listen(socket.Descriptor.Value, backlog), $"listen(vsock port {port})");
            return socket;
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <summary>Connects an AF_VSOCK socket to (<paramref name="cid"/>, <paramref name="port"/>).</summary>
    public static StreamSocket ConnectVsock(uint cid, uint port, bool nonBlocking = false)
    {
        StreamSocket socket = Create(AF_VSOCK, nonBlocking);
        try
        {
            SockaddrVm address = VsockAddress(cid, port);
            socket.ConnectRetryingInterrupts(&address, sizeof(SockaddrVm), $"connect(vsock {cid}:{port})");
            return socket;
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <summary>Accepts one connection; null when none is pending on a non-blocking listener.
    /// The new socket is non-blocking when <paramref name="nonBlocking"/> is set.</summary>
    public StreamSocket? Accept(bool nonBlocking = true)
    {
        int flags = SOCK_CLOEXEC | (nonBlocking ? SOCK_NONBLOCK : 0);
        while (true)
        {
            int fd = accept4(Descriptor.Value, null, null, flags);
            if (fd >= 0)
            {
                return new StreamSocket(new FileDescriptor(fd));
            }
            int errno = Libc.LastErrno;
            if (errno == (int)Errno.EAGAIN)
            {
                return null;
            }
            // A connection that died in the backlog is the caller's "nothing to accept", not a
            // failure: accept(2) passes such pending errors on and says to retry on them, and a
            // listener that stopped on one would refuse every later connection.
            if (errno is (int)Errno.ECONNABORTED or (int)Errno.ECONNRESET or (int)Errno.EINTR or (int)Errno.EPROTO
                or (int)Errno.ENOPROTOOPT or (int)Errno.ENETDOWN or (int)Errno.ENETUNREACH or (int)Errno.EHOSTDOWN
                or (int)Errno.EHOSTUNREACH or (int)Errno.ENONET)
            {
                continue;
            }
            throw new LinuxException("accept4", errno);
        }
    }

    /// <summary>The connected peer's address (getpeername(2)) when this is an AF_VSOCK socket; null for any
    /// other family. A peer that already went away is an <see cref="Errno.ENOTCONN"/> error.</summary>
    public VsockAddress? VsockPeer()
    {
        // Room for any family's address: getpeername truncates to the given length and reports the real one.
        byte* storage = stackalloc byte[SockaddrStorageSize];
        uint length = SockaddrStorageSize;
        Check(getpeername(Descriptor.Value, storage, &length), "getpeername");
        if (length < sizeof(SockaddrVm) || ((SockaddrVm*)storage)->svm_family != AF_VSOCK)
        {
            return null;
        }
        SockaddrVm* address = (SockaddrVm*)storage;
        return new VsockAddress(address->svm_cid, address->svm_port);
    }

    /// <summary>Sends what fits; returns the byte count, or -1 when the socket buffer is full (EAGAIN).</summary>
    public int Send(ReadOnlySpan<byte> data)
    {
        fixed (byte* p = data)
        {
            int transferred;
            while (Libc.RetryTransfer(send(Descriptor.Value, p, (nuint)data.Length, MSG_NOSIGNAL), "send", out transferred))
            {
            }
            return transferred;
        }
    }

    /// <summary>Sends all of <paramref name="data"/> on a blocking socket.</summary>
    public void SendAll(ReadOnlySpan<byte> data)
    {
        while (!data.IsEmpty)
        {
            int n = Send(data);
            if (n < 0)
            {
                throw new LinuxException("send", (int)Errno.EAGAIN, "SendAll needs a blocking socket");
            }
            data = data[n..];
        }
    }

    /// <summary>Receives into <paramref name="buffer"/>; 0 = orderly end of stream, -1 = nothing ready (EAGAIN).</summary>
    public int Receive(Span<byte> buffer)
    {
        fixed (byte* p = buffer)
        {
            int transferred;
            while (Libc.RetryTransfer(recv(Descriptor.Value, p, (nuint)buffer.Length, 0), "recv", out transferred))
            {
            }
            return transferred;
        }
    }

    /// <summary>Receives exactly <paramref name="buffer"/>.Length bytes on a blocking socket; false on early end of stream.</summary>
    public bool ReceiveExactly(Span<byte> buffer)
    {
        while (!buffer.IsEmpty)
        {
            int n = Receive(buffer);
            if (n <= 0)
            {
                return false;
            }
            buffer = buffer[n..];
        }
        return true;
    }

    /// <summary>Closes one or both directions. A peer that already went away (ENOTCONN) is not an error.</summary>
    public void Shutdown(SocketShutdown how)
    {
        if (shutdown(Descriptor.Value, (int)how) < 0 && Libc.LastErrno != (int)Errno.ENOTCONN)
        {
            throw new LinuxException($"shutdown({how})", Libc.LastErrno);
        }
    }

    /// <summary>Hands the descriptor over to a .NET <see cref="System.Net.Sockets.Socket"/> (for streams and
    /// async I/O in callers); this object no longer owns or closes it.</summary>
    public System.Net.Sockets.Socket ToDotNetSocket()
    {
        int fd = Descriptor.Value;
        Descriptor.SetHandleAsInvalid();
        return new System.Net.Sockets.Socket(new System.Net.Sockets.SafeSocketHandle(new IntPtr(fd), ownsHandle: true));
    }

    public void Dispose() => Descriptor.Dispose();

    private static StreamSocket Create(int family, bool nonBlocking)
    {
        int type = SOCK_STREAM | SOCK_CLOEXEC | (nonBlocking ? SOCK_NONBLOCK : 0);
        string name = family == AF_UNIX ? "socket(AF_UNIX)" : "socket(AF_VSOCK)";
        return new StreamSocket(new FileDescriptor(Libc.Check(socket(family, type, 0), name)));
    }

    private void ConnectRetryingInterrupts(void* address, int length, string call)
    {
        // EINTR on connect leaves the connection in progress; unix connects complete at once, so
        // the only sane retry for our socket kinds is a fresh call.
        while (connect(Descriptor.Value, address, (uint)length) < 0)
        {
            Libc.IsInterrupted(call);
        }
    }

    private void Check(int rc, string call) => Libc.Check(rc, call);

    private static SockaddrUn UnixAddress(string path)
    {
        byte[] bytes = Libc.NullTerminated(path);
        SockaddrUn address = default;
        if (bytes.Length > SockaddrUn.PathLength)
        {
            throw new ArgumentException(
                $"unix socket path '{path}' is {bytes.Length - 1} bytes; Linux allows at most {SockaddrUn.PathLength - 1}. Use a shorter directory.",
                nameof(path));
        }
        address.sun_family = AF_UNIX;
        for (int i = 0; i < bytes.Length; i++)
        {
            address.sun_path[i] = bytes[i];
        }
        return address;
    }

    private static SockaddrVm VsockAddress(uint cid, uint port) =>
        new() { svm_family = (ushort)AF_VSOCK, svm_port = port, svm_cid = cid };
}
