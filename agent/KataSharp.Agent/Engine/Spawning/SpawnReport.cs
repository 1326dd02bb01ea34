using System.Buffers.Binary;
using KataSharp.Agent.Engine.Io;
using KataSharp.Linux.Files;

namespace KataSharp.Agent.Engine.Spawning;

/// <summary>What the status pipe said: the pid, whether the process is set up and waiting, or a failure.</summary>
internal sealed record SpawnReport(int? Pid, bool Ready, SpawnFailure? Failure, bool Eof)
{
    private const int RecordSize = 16;

    /// <summary>Reads records until end of file or (unless <paramref name="untilEof"/>) both the pid and READY.
    /// After a failure it still reads to end of file: the pid record may come after the child's error,
    /// and every writer exits right after a failure.</summary>
    public static async Task<SpawnReport> ReadAsync(FdPoller poller, FileDescriptor status, bool untilEof, CancellationToken cancellationToken)
    {
        int? pid = null;
        bool ready = false;
        SpawnFailure? failure = null;
        byte[] buffer = new byte[RecordSize * 8];
        int filled = 0;
        while (true)
        {
            int n = await FdStreams.ReadAsync(poller, status, buffer.AsMemory(filled), cancellationToken).ConfigureAwait(false);
            if (n == 0)
            {
                return new SpawnReport(pid, ready, failure, true);
            }
            filled += n;
            int offset = 0;
            for (; offset + RecordSize <= filled; offset += RecordSize)
            {
                ReadOnlySpan<byte> r = buffer.AsSpan(offset, RecordSize);
                int kind = BinaryPrimitives.ReadInt32LittleEndian(r), value = BinaryPrimitives.ReadInt32LittleEndian(r[4..]);
                switch (kind)
                {
                    case SpawnProtocol.Status.Pid:
                        pid = value;
                        break;
                    case SpawnProtocol.Status.Ready:
                        ready = true;
                        break;
                    case SpawnProtocol.Status.Error:
                        failure ??= new SpawnFailure((SpawnStep)BinaryPrimitives.ReadInt32LittleEndian(r[8..]), BinaryPrimitives.ReadInt32LittleEndian(r[12..]), value);
                        break;
                }
            }
            buffer.AsSpan(offset, filled - offset).CopyTo(buffer);
            filled -= offset;
            if (!untilEof && failure is null && pid is not null && ready)
            {
                return new SpawnReport(pid, ready, null, false);
            }
        }
    }
}
