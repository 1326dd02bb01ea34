using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using KataSharp.Linux.Files;
using KataSharp.Linux.Interop;
using KataSharp.Linux.Netlink.Interop;
using static KataSharp.Linux.Netlink.Interop.NetlinkConstants;
using static KataSharp.Linux.Interop.SocketCalls;

namespace KataSharp.Linux.Netlink;

/// <summary>
/// A NETLINK_ROUTE socket: one request at a time, answered by an ACK, a single reply or a multipart dump.
/// The socket belongs to the network namespace of the thread that created it, for its whole life.
/// Nothing the kernel sends is trusted blindly: each datagram must fit the fixed receive buffer (MSG_TRUNC
/// tells), every length is checked while parsing, only the kernel (port 0) is listened to, replies to
/// other sequence numbers are skipped, a dump has a message cap, and every receive has a timeout.
/// Failures are <see cref="LinuxException"/>s naming the operation, with errno and the kernel's
/// extended-ack text when it gave one.
/// </summary>
internal sealed unsafe class NetlinkSocket : IDisposable
{
    /// <summary>Large enough for any rtnetlink datagram: the kernel sizes dump skbs by our buffer, at most 32 KiB.</summary>
    public const int ReceiveBufferSize = 64 * 1024;

    /// <summary>More messages than any sane namespace has links, addresses, routes or filters.</summary>
    public const int MaxDumpMessages = 100_000;

    private const int DumpAttempts = 3;

    private readonly FileDescriptor _fd;
    private readonly byte[] _receive = new byte[ReceiveBufferSize];
    private readonly object _lock = new();
    private uint _sequence;

    private NetlinkSocket(FileDescriptor fd, TimeSpan timeout)
    {
        _fd = fd;
        Timeout = timeout;
    }

    public TimeSpan Timeout { get; }

    /// <summary>Opens a NETLINK_ROUTE socket in the calling thread's network namespace.</summary>
    public static NetlinkSocket Open(TimeSpan? timeout = null)
    {
        var fd = new FileDescriptor(Libc.Check(socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE), "socket(AF_NETLINK, NETLINK_ROUTE)"));
        var netlink = new NetlinkSocket(fd, timeout ?? TimeSpan.FromSeconds(10));
        try
        {
            sockaddr_nl local = new() { nl_family = AF_NETLINK };
            Libc.Check(bind(fd.Value, &local, (uint)sizeof(sockaddr_nl)), "bind(AF_NETLINK)");
            netlink.SetOption(SOL_NETLINK, NETLINK_EXT_ACK, 1, "NETLINK_EXT_ACK");
            netlink.SetOption(SOL_NETLINK, NETLINK_CAP_ACK, 1, "NETLINK_CAP_ACK");
            long microseconds = (long)netlink.Timeout.TotalMicroseconds;
            var timeval = new ClockCalls.Timeval { tv_sec = microseconds / 1_000_000, tv_usec = microseconds % 1_000_000 };
            Libc.Check(setsockopt(fd.Value, SOL_SOCKET, SO_RCVTIMEO, &timeval, (uint)sizeof(ClockCalls.Timeval)), "setsockopt(SO_RCVTIMEO)");
            return netlink;
        }
        catch
        {
            netlink.Dispose();
            throw;
        }
    }

    /// <summary>Sends a request that changes something and waits for the kernel's ACK.</summary>
    public void Execute(NetlinkMessageWriter request, string operation)
    {
        lock (_lock)
        {
            uint sequence = Send(request, NLM_F_ACK, operation);
            long deadline = Environment.TickCount64 + (long)Timeout.TotalMilliseconds;
            while (true)
            {
                int length = Receive(operation, deadline);
                foreach (NetlinkMessage message in new NetlinkMessages(_receive.AsSpan(0, length)))
                {
                    if (message.Sequence != sequence)
                    {
                        continue;
                    }
                    if (message.Type == NLMSG_ERROR)
                    {
                        ThrowIfError(message, operation);
                        return; // error 0 is the ACK
                    }
                }
            }
        }
    }

    /// <summary>
    /// Sends a GET request (or a dump with NLM_F_DUMP in its flags) and hands each reply of
    /// <paramref name="replyType"/> to <paramref name="parse"/>; null results are skipped. A dump the
    /// kernel marks as interrupted by a concurrent change (NLM_F_DUMP_INTR) is repeated.
    /// </summary>
    public List<T> Query<T>(NetlinkMessageWriter request, int replyType, ReplyParser<T> parse, string operation) where T : class
    {
        lock (_lock)
        {
            for (int attempt = 1; ; attempt++)
            {
                var results = new List<T>();
                bool interrupted = QueryOnce(request, replyType, parse, operation, results);
                if (!interrupted)
                {
                    return results;
                }
                if (attempt == DumpAttempts)
                {
                    throw new LinuxException($"netlink {operation}", (int)Errno.EAGAIN,
                        $"the dump was interrupted by concurrent changes {DumpAttempts} times");
                }
            }
        }
    }

    public delegate T? ReplyParser<T>(NetlinkMessage message) where T : class;

    private bool QueryOnce<T>(NetlinkMessageWriter request, int replyType, ReplyParser<T> parse, string operation, List<T> results) where T : class
    {
        bool dump = (request.Flags & NLM_F_DUMP) == NLM_F_DUMP;
        uint sequence = Send(request, 0, operation);
        long deadline = Environment.TickCount64 + (long)Timeout.TotalMilliseconds * 3; // a dump may take several datagrams
        bool interrupted = false;
        int seen = 0;
        while (true)
        {
            int length = Receive(operation, deadline);
            foreach (NetlinkMessage message in new NetlinkMessages(_receive.AsSpan(0, length)))
            {
                if (message.Sequence != sequence)
                {
                    continue;
                }
                if (++seen > MaxDumpMessages)
                {
                    throw new LinuxException($"netlink {operation}", (int)Errno.E2BIG, $"more than {MaxDumpMessages} reply messages");
                }
                interrupted |= (message.Flags & NLM_F_DUMP_INTR) != 0;
                switch (message.Type)
                {
                    case NLMSG_ERROR:
                        ThrowIfError(message, operation);
                        if (!dump)
                        {
                            return interrupted;
                        }
                        continue;
                    case NLMSG_DONE:
                        // A dump that failed part-way ends with NLMSG_DONE carrying the negative errno.
                        if (message.Payload.Length >= sizeof(int) && System.Buffers.Binary.BinaryPrimitives.ReadInt32LittleEndian(message.Payload) < 0)
                        {
                            throw new LinuxException($"netlink {operation}", -System.Buffers.Binary.BinaryPrimitives.ReadInt32LittleEndian(message.Payload));
                        }
                        return interrupted;
                    case NLMSG_NOOP:
                        continue;
                    case NLMSG_OVERRUN:
                        throw new LinuxException($"netlink {operation}", (int)Errno.EOVERFLOW, "the kernel reported an overrun");
                }
                if (message.Type == replyType)
                {
                    T? item;
                    try
                    {
                        item = parse(message);
                    }
                    catch (InvalidDataException e)
                    {
                        throw new LinuxException($"netlink {operation}", (int)Errno.EPROTO, $"malformed reply: {e.Message}");
                    }
                    if (item is not null)
                    {
                        results.Add(item);
                    }
                }
                if (!dump && (message.Flags & NLM_F_MULTI) == 0)
                {
                    return interrupted;
                }
            }
        }
    }

    private uint Send(NetlinkMessageWriter request, int extraFlags, string operation)
    {
        uint sequence = ++_sequence;
        byte[] message = request.ToArray(sequence);
        if (extraFlags != 0)
        {
            message[6] |= (byte)extraFlags; // nlmsg_flags, little-endian low byte (NLM_F_ACK)
        }
        sockaddr_nl kernel = new() { nl_family = AF_NETLINK };
        fixed (byte* p = message)
        {
            while (true)
            {
                long rc = sendto(_fd.Value, p, (nuint)message.Length, 0, &kernel, (uint)sizeof(sockaddr_nl));
                if (rc == message.Length)
                {
                    return sequence;
                }
                if (rc >= 0)
                {
                    throw new LinuxException($"netlink {operation}", (int)Errno.EIO, $"sent {rc} of {message.Length} bytes");
                }
                Libc.IsInterrupted($"netlink {operation}: sendto"); // throws unless EINTR
            }
        }
    }

    /// <summary>One datagram from the kernel into the receive buffer; its length. Each receive waits at most
    /// <see cref="Timeout"/> (SO_RCVTIMEO) and the whole exchange ends at <paramref name="deadline"/>, however
    /// many unrelated datagrams arrive meanwhile.</summary>
    private int Receive(string operation, long deadline)
    {
        fixed (byte* p = _receive)
        {
            while (true)
            {
                if (Environment.TickCount64 > deadline)
                {
                    throw new LinuxException($"netlink {operation}", (int)Errno.ETIMEDOUT, "no complete reply in time");
                }
                sockaddr_nl from = default;
                uint fromLength = (uint)sizeof(sockaddr_nl);
                // MSG_TRUNC makes recvfrom return the datagram's real length, so a truncation is seen.
                long rc = recvfrom(_fd.Value, p, (nuint)_receive.Length, MSG_TRUNC, &from, &fromLength);
                if (Libc.RetryTransfer(rc, $"netlink {operation}: recvfrom", out _))
                {
                    continue;
                }
                if (rc < 0) // EAGAIN: SO_RCVTIMEO ran out
                {
                    throw new LinuxException($"netlink {operation}", (int)Errno.ETIMEDOUT, $"no reply within {Timeout.TotalSeconds:0.#} s");
                }
                if (rc > _receive.Length)
                {
                    throw new LinuxException($"netlink {operation}", (int)Errno.EMSGSIZE, $"a {rc}-byte reply exceeds the {_receive.Length}-byte buffer");
                }
                if (from.nl_pid != 0)
                {
                    continue; // not from the kernel: another process may not speak for it
                }
                return (int)rc;
            }
        }
    }

    private static void ThrowIfError(NetlinkMessage message, string operation)
    {
        ReadOnlySpan<byte> payload = message.Payload;
        nlmsgerr error;
        try
        {
            error = NetlinkMessage.ReadHeader<nlmsgerr>(payload.Length >= Unsafe.SizeOf<nlmsgerr>() ? payload : PadError(payload));
        }
        catch (InvalidDataException e)
        {
            throw new LinuxException($"netlink {operation}", (int)Errno.EPROTO, $"malformed error reply: {e.Message}");
        }
        if (error.error == 0)
        {
            return;
        }
        throw new LinuxException($"netlink {operation}", -error.error, ExtendedAckMessage(message, error));
    }

    private static ReadOnlySpan<byte> PadError(ReadOnlySpan<byte> payload)
    {
        if (payload.Length < sizeof(int))
        {
            throw new InvalidDataException($"an error message of {payload.Length} bytes has no errno");
        }
        byte[] padded = new byte[Unsafe.SizeOf<nlmsgerr>()];
        payload.CopyTo(padded);
        return padded;
    }

    /// <summary>The kernel's NLMSGERR_ATTR_MSG text ("Exclusivity flag on, cannot modify"), or null.</summary>
    private static string? ExtendedAckMessage(NetlinkMessage message, nlmsgerr error)
    {
        if ((message.Flags & NLM_F_ACK_TLVS) == 0)
        {
            return null;
        }
        // With NLM_F_CAPPED only the request's header is echoed; otherwise the whole request.
        long echoed = (message.Flags & NLM_F_CAPPED) != 0 ? Unsafe.SizeOf<nlmsghdr>() : error.msg.nlmsg_len;
        int offset = NetlinkMessageWriter.Align(sizeof(int) + (int)Math.Min(echoed, message.Payload.Length));
        if (offset >= message.Payload.Length)
        {
            return null;
        }
        try
        {
            foreach (NetlinkAttribute attribute in new NetlinkAttributes(message.Payload[offset..]))
            {
                if (attribute.Type == NLMSGERR_ATTR_MSG)
                {
                    return attribute.String;
                }
            }
        }
        catch (InvalidDataException)
        {
            // The errno is what matters; an unreadable text is left out.
        }
        return null;
    }

    private void SetOption(int level, int name, int value, string what) =>
        Libc.Check(setsockopt(_fd.Value, level, name, &value, (uint)sizeof(int)), $"setsockopt({what})");

    public void Dispose() => _fd.Dispose();
}
