using Grpc.Core;
using KataSharp.Agent.Protocol;

namespace KataSharp.Shim.Backend.Agent;

/// <summary>
/// A process's stdout or stderr as a read-only <see cref="Stream"/> over the agent's ReadStdout /
/// ReadStderr server stream: each chunk is handed out in order, end of stream is end of file.
/// A failed call (VM gone) reads as an <see cref="IOException"/>, which the IO bridge expects.
/// </summary>
public sealed class AgentOutputStream : Stream
{
    private readonly AsyncServerStreamingCall<OutputChunk> _call;
    private ReadOnlyMemory<byte> _pending;
    private bool _ended;

    public AgentOutputStream(AsyncServerStreamingCall<OutputChunk> call) => _call = call;

    public override bool CanRead => true;

    public override bool CanSeek => false;

    public override bool CanWrite => false;

    public override long Length => throw new NotSupportedException();

    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        while (_pending.IsEmpty)
        {
            if (_ended)
            {
                return 0;
            }
            try
            {
                if (!await _call.ResponseStream.MoveNext(cancellationToken))
                {
                    _ended = true;
                    return 0;
                }
            }
            catch (RpcException e)
            {
                throw new IOException($"the guest output stream failed: {AgentErrors.Detail(e)} ({e.StatusCode})", e);
            }
            _pending = _call.ResponseStream.Current.Data.Memory;
        }
        int n = Math.Min(buffer.Length, _pending.Length);
        _pending[..n].CopyTo(buffer);
        _pending = _pending[n..];
        return n;
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override int Read(byte[] buffer, int offset, int count) => ReadAsync(buffer, offset, count, CancellationToken.None).GetAwaiter().GetResult();

    public override void Flush()
    {
    }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _call.Dispose(); // cancels the call if the stream did not end: the agent releases the reader
        }
        base.Dispose(disposing);
    }
}
