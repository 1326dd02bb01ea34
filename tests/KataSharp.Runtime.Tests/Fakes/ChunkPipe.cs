using System.Threading.Channels;

namespace KataSharp.Runtime.Tests.Fakes;

/// <summary>An in-memory one-way byte pipe: <see cref="Writer"/> feeds <see cref="Reader"/>; disposing the writer is end of file.</summary>
public sealed class ChunkPipe
{
    private readonly Channel<byte[]> _chunks = Channel.CreateUnbounded<byte[]>();

    public ChunkPipe()
    {
        Reader = new ReadEnd(_chunks.Reader);
        Writer = new WriteEnd(_chunks.Writer);
    }

    public Stream Reader { get; }

    public Stream Writer { get; }

    private sealed class ReadEnd(ChannelReader<byte[]> chunks) : Stream
    {
        private byte[] _current = [];
        private int _offset;

        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override int Read(byte[] buffer, int offset, int count) => ReadAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            while (_offset >= _current.Length)
            {
                if (!await chunks.WaitToReadAsync(cancellationToken))
                {
                    return 0;
                }
                chunks.TryRead(out _current!);
                _offset = 0;
            }
            int n = Math.Min(buffer.Length, _current.Length - _offset);
            _current.AsMemory(_offset, n).CopyTo(buffer);
            _offset += n;
            return n;
        }

        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }

    private sealed class WriteEnd(ChannelWriter<byte[]> chunks) : Stream
    {
        public override bool CanRead => false;
        public override bool CanSeek => false;
        public override bool CanWrite => true;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override void Write(byte[] buffer, int offset, int count)
        {
            if (!chunks.TryWrite(buffer.AsSpan(offset, count).ToArray()))
            {
                throw new IOException("pipe closed");
            }
        }

        protected override void Dispose(bool disposing)
        {
            chunks.TryComplete();
            base.Dispose(disposing);
        }

        public override void Flush() { }
        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
    }
}
