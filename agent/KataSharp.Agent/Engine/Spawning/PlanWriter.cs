using System.Buffers.Binary;
using System.Text;
using KataSharp.Agent.Errors;

namespace KataSharp.Agent.Engine.Spawning;

/// <summary>Builds ks-spawn's plan: records of u32 tag, u32 length, payload; strings NUL-terminated.</summary>
public sealed class PlanWriter
{
    private readonly MemoryStream _buffer = new();

    public void U32(uint tag, uint value)
    {
        Span<byte> payload = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(payload, value);
        Record(tag, payload);
    }

    public void U64(uint tag, ulong value)
    {
        Span<byte> payload = stackalloc byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(payload, value);
        Record(tag, payload);
    }

    public void Text(uint tag, string value) => Record(tag, Strings(value));

    /// <summary>A record of fixed-size numbers followed by NUL-terminated strings.</summary>
    public void Composite(uint tag, ReadOnlySpan<byte> numbers, params string[] strings)
    {
        byte[] text = Strings(strings);
        byte[] payload = new byte[numbers.Length + text.Length];
        numbers.CopyTo(payload);
        text.CopyTo(payload.AsSpan(numbers.Length));
        Record(tag, payload);
    }

    public void Record(uint tag, ReadOnlySpan<byte> payload)
    {
        Span<byte> header = stackalloc byte[8];
        BinaryPrimitives.WriteUInt32LittleEndian(header, tag);
        BinaryPrimitives.WriteUInt32LittleEndian(header[4..], (uint)payload.Length);
        _buffer.Write(header);
        _buffer.Write(payload);
    }

    public byte[] ToArray() => _buffer.ToArray();

    private static byte[] Strings(params string[] values)
    {
        var bytes = new List<byte>();
        foreach (string value in values)
        {
            if (value.Contains('\0'))
            {
                throw AgentException.Invalid("(string)", $"'{value.Replace("\0", "\\0")}' contains a NUL character");
            }
            bytes.AddRange(Encoding.UTF8.GetBytes(value));
            bytes.Add(0);
        }
        return bytes.ToArray();
    }
}
