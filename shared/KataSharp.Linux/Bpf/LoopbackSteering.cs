using KataSharp.Linux.Interop;
using KataSharp.Linux.Namespaces;
using static KataSharp.Linux.Bpf.BpfInstruction;

namespace KataSharp.Linux.Bpf;

/// <summary>
/// Steers every new TCP connection to 127.0.0.1, whatever its port, in one network namespace to one listening socket:
/// an sk_lookup program (BPF_PROG_TYPE_SK_LOOKUP, Linux 5.9+) attached to the namespace assigns the connection to the
/// socket in slot 0 of a SOCKMAP. The listener accepts it with the port the client asked for as its local address
/// (getsockname), which is how one socket serves every port. Disposing detaches the program (the link's fd is the
/// only thing holding the attachment).
/// </summary>
public sealed class LoopbackSteering : IDisposable
{
    private const int Loopback4 = 0x0100007f; // 127.0.0.1 in network byte order, read as a little-endian u32
    private const int SkPass = 1;

    private readonly SocketMap _map;
    private readonly BpfProgram _program;
    private readonly BpfLink _link;

    private LoopbackSteering(SocketMap map, BpfProgram program, BpfLink link)
    {
        _map = map;
        _program = program;
        _link = link;
    }

    /// <summary>Attaches to <paramref name="networkNamespace"/>; <paramref name="listenerFd"/> is a listening TCP socket
    /// created in that namespace (the kernel assigns only sockets of the namespace the connection is in).</summary>
    public static LoopbackSteering Attach(NetworkNamespace networkNamespace, int listenerFd)
    {
        SocketMap map = SocketMap.Create(1);
        BpfProgram? program = null;
        try
        {
            map.Set(0, listenerFd);
            program = BpfProgram.Load(BpfCalls.BPF_PROG_TYPE_SK_LOOKUP, BpfCalls.BPF_SK_LOOKUP, "ks_lo_steer", Program(map.Descriptor.Value));
            BpfLink link = BpfLink.Create(program, networkNamespace.Descriptor.Value, BpfCalls.BPF_SK_LOOKUP, $"sk_lookup on {networkNamespace.Path}");
            return new LoopbackSteering(map, program, link);
        }
        catch
        {
            program?.Dispose();
            map.Dispose();
            throw;
        }
    }

    /// <summary>
    /// if (ctx->protocol == TCP &amp;&amp; ctx->local_ip4 == 127.0.0.1) { sk = map[0]; if (sk) { bpf_sk_assign(ctx, sk, 0);
    /// bpf_sk_release(sk); } } return SK_PASS. An assignment that fails (the listener closed) leaves the connection
    /// to the normal lookup, which refuses it.
    /// </summary>
    internal static BpfInstruction[] Program(int mapFd)
    {
        const byte R0 = 0, R1 = 1, R2 = 2, R3 = 3, R6 = 6, R7 = 7, R10 = 10;
        BpfInstruction[] loadMap = LoadMap(R1, mapFd);
        return
        [
            /* 0 */ MoveRegister(R6, R1),
            /* 1 */ LoadWord(R2, R6, BpfCalls.SkLookupProtocolOffset),
            /* 2 */ JumpIfNotEqual(R2, SocketCalls.IPPROTO_TCP, 16),
            /* 3 */ LoadWord(R2, R6, BpfCalls.SkLookupLocalIp4Offset),
            /* 4 */ JumpIfNotEqual(R2, Loopback4, 14),
            /* 5 */ StoreWordImmediate(R10, -4, 0),
            /* 6 */ loadMap[0],
            /* 7 */ loadMap[1],
            /* 8 */ MoveRegister(R2, R10),
            /* 9 */ AddImmediate(R2, -4),
            /* 10 */ CallHelper(BpfCalls.BPF_FUNC_map_lookup_elem),
            /* 11 */ JumpIfEqual(R0, 0, 7),
            /* 12 */ MoveRegister(R7, R0),
            /* 13 */ MoveRegister(R1, R6),
            /* 14 */ MoveRegister(R2, R7),
            /* 15 */ MoveImmediate(R3, 0),
            /* 16 */ CallHelper(BpfCalls.BPF_FUNC_sk_assign),
            /* 17 */ MoveRegister(R1, R7),
            /* 18 */ CallHelper(BpfCalls.BPF_FUNC_sk_release),
            /* 19 */ MoveImmediate(R0, SkPass),
            /* 20 */ Return(),
        ];
    }

    public void Dispose()
    {
        _link.Dispose();
        _program.Dispose();
        _map.Dispose();
    }
}
