using Google.Protobuf;
using Grpc.Core;
using KataSharp.Agent.Protocol;

namespace KataSharp.Shim.Backend.Agent;

/// <summary>
/// A process's stdin as a write-only <see cref="Stream"/> over the agent's WriteStdin client stream.
/// Disposing closes the process's stdin (a last chunk with close = true), so it reads end of file;
/// ending the call alone would leave stdin open (the agent's rule).
/// </summary>
public sealed class AgentStdinStream : Stream
{
    private readonly AsyncClientStreamingCall<StdinChunk, WriteStdinResponse> _call;
    private readonly ProcessRef _process;
    private int _disposed;

    public AgentStdinStream(AsyncClientStreamingCall<StdinChunk, WriteStdinResponse> call, ProcessRef process)
    {
        _call = call;
        _process = process;
    }

    public override bool CanRead => false;

    public override bool CanSeek => false;

    public override bool CanWrite => true;

    public override long Length => throw new NotSupportedException();

    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        try
        {
            await _call.RequestStream.WriteAsync(new StdinChunk { Process = _process, Data = ByteString.CopyFrom(buffer.Span) }, cancellationToken);
        }
        catch (RpcException e)
        {
            throw new IOException($"the guest stdin stream failed: {AgentErrors.Detail(e)} ({e.StatusCode})", e);
        }
        catch (InvalidOperationException e)
        {
            throw new IOException($"the guest stdin stream is closed: {e.Message}", e);
        }
    }

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override void Write(byte[] buffer, int offset, int count) => WriteAsync(buffer, offset, count, CancellationToken.None).GetAwaiter().GetResult();

    public override void Flush()
    {
    }

    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    public override async ValueTask DisposeAsync()
    {
        await CloseAsync();
        await base.DisposeAsync();
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            CloseAsync().GetAwaiter().GetResult();
        }
        base.Dispose(disposing);
    }

    private async Task CloseAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }
        try
        {
            await _call.RequestStream.WriteAsync(new StdinChunk { Process = _process, Close = true });
            await _call.RequestStream.CompleteAsync();
            await _call.ResponseAsync;
        }
        catch (Exception e) when (e is RpcException or InvalidOperationException or IOException)
        {
            // The process or the VM is gone already: its stdin is closed either way.
        }
        finally
        {
            _call.Dispose();
        }
    }
}
