using System.Buffers.Binary;
using KataSharp.Linux.Files;
using KataSharp.Linux.Interop;

namespace KataSharp.Linux.Bpf;

/// <summary>A zeroed <c>union bpf_attr</c> being filled for one bpf(2) command, and the call itself.</summary>
internal ref struct BpfAttr
{
    private readonly Span<byte> _bytes;

    public BpfAttr(Span<byte> bytes)
    {
        bytes.Clear();
        _bytes = bytes;
    }

    public readonly void U8(int offset, byte value) => _bytes[offset] = value;

    public readonly void U32(int offset, uint value) => BinaryPrimitives.WriteUInt32LittleEndian(_bytes[offset..], value);

    public readonly void U64(int offset, ulong value) => BinaryPrimitives.WriteUInt64LittleEndian(_bytes[offset..], value);

    /// <summary>Runs the command; returns its result (an fd for the creating commands) or throws naming <paramref name="call"/> and errno.</summary>
    public readonly unsafe int Run(int command, string call, string? detail = null)
    {
        fixed (byte* attr = _bytes)
        {
            int rc = BpfCalls.Call(command, attr);
            if (rc < 0)
            {
                throw new LinuxException(call, Libc.LastErrno, detail);
            }
            return rc;
        }
    }

    /// <summary>Runs a command that creates an object and owns the fd it returns.</summary>
    public readonly FileDescriptor Create(int command, string call) => new(Run(command, call));
}
