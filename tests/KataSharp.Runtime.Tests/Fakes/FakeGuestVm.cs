using System.Net.Sockets;
using KataSharp.Runtime.Model;
using KataSharp.Shim.Backend;
using KataSharp.Vmm.Lifecycle;
using KataSharp.Vmm.Machine;

namespace KataSharp.Runtime.Tests.Fakes;

/// <summary>
/// A VM for the real <see cref="VmSandboxBackend"/>: its "guest port 1024" is a <see cref="FakeAgentServer"/>'s
/// unix socket. The test kills it (<see cref="Die"/>), or freezes it (<see cref="Freeze"/>: bytes stop
/// flowing both ways, as in a guest that hangs with the VM still running).
/// </summary>
public sealed class FakeGuestVm : IGuestVm
{
    private readonly string _agentSocket;
    private readonly TaskCompletionSource<VmExit> _exited = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly List<FreezableStream> _streams = [];
    private readonly List<uint> _ports = [];
    private int _disposeCount;

    public FakeGuestVm(string agentSocket, string vsockSocket)
    {
        _agentSocket = agentSocket;
        VsockSocket = vsockSocket;
    }

    public string VsockSocket { get; }

    public string KernelCmdline => "console=ttyS0 (fake)";

    public Task<VmExit> Exited => _exited.Task;

    /// <summary>Whether the backend released the VM (its memory and threads, in the real one).</summary>
    public bool Disposed => Volatile.Read(ref _disposeCount) > 0;

    /// <summary>Every guest port the backend connected to, in order.</summary>
    public IReadOnlyList<uint> ConnectedPorts
    {
        get
        {
            lock (_ports)
            {
                return [.. _ports];
            }
        }
    }

    public async Task<Stream> ConnectAsync(uint port, CancellationToken cancellationToken)
    {
        lock (_ports)
        {
            _ports.Add(port);
        }
        var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            await socket.ConnectAsync(new UnixDomainSocketEndPoint(_agentSocket), cancellationToken);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
        var stream = new FreezableStream(new NetworkStream(socket, ownsSocket: true));
        lock (_streams)
        {
            _streams.Add(stream);
        }
        return stream;
    }

    public int BlockSlotCount { get; init; } = 8;

    /// <summary>Every medium inserted, in order: its path, whether read-only, the slot and the serial it got.</summary>
    public List<(string Path, bool ReadOnly, string Slot, string Serial)> Inserted { get; } = [];

    /// <summary>Every slot emptied, in order.</summary>
    public List<string> Ejected { get; } = [];

    /// <summary>How many slots hold a medium now.</summary>
    public int InUse
    {
        get
        {
            lock (Inserted)
            {
                return Inserted.Count - Ejected.Count;
            }
        }
    }

    public void InsertMedium(string slot, string path, string serial, bool readOnly)
    {
        lock (Inserted)
        {
            Inserted.Add((path, readOnly, slot, serial));
        }
    }

    /// <summary>Like the confined VMM's: once the VM died, a media change fails with Unavailable (its process is gone).</summary>
    public void EjectMedium(string slot)
    {
        if (_exited.Task.IsCompleted)
        {
            throw new RuntimeException(RuntimeError.Unavailable,
                $"cannot empty {slot}: the VMM process is gone ({_exited.Task.Result.Message})");
        }
        lock (Inserted)
        {
            Ejected.Add(slot);
        }
    }

    public string ConsoleTail(int lines) => "[    1.234] fake guest console line";

    public void AgentLogConnected()
    {
    }

    /// <summary>The guest dies on its own (as a kernel panic would end it).</summary>
    public void Die() => DieAs(new VmExit(VmExitReason.GuestPanic, "Kernel panic - not syncing: fake"));

    /// <summary>The VM ends on its own for the given reason (e.g. a VMM killed by its seccomp filter).</summary>
    public void DieAs(VmExit exit) => _exited.TrySetResult(exit);

    /// <summary>The guest stops answering but the VM keeps "running".</summary>
    public void Freeze()
    {
        lock (_streams)
        {
            foreach (FreezableStream stream in _streams)
            {
                stream.Freeze();
            }
        }
    }

    public void Dispose()
    {
        if (Interlocked.Increment(ref _disposeCount) == 1)
        {
            lock (_streams)
            {
                foreach (FreezableStream stream in _streams)
                {
                    stream.Dispose();
                }
            }
            _exited.TrySetResult(new VmExit(VmExitReason.HostStop, "stopped by the host"));
        }
    }

    /// <summary>A connection that, once frozen, delivers nothing more in either direction until disposed.</summary>
    private sealed class FreezableStream(Stream inner) : Stream
    {
        private readonly CancellationTokenSource _disposed = new();
        private volatile bool _frozen;

        public void Freeze() => _frozen = true;

        public override bool CanRead => true;

        public override bool CanWrite => true;

        public override bool CanSeek => false;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            int n = await inner.ReadAsync(buffer, cancellationToken);
            if (_frozen)
            {
                using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _disposed.Token);
                await Task.Delay(Timeout.Infinite, linked.Token);
            }
            return n;
        }

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default) =>
            _frozen ? ValueTask.CompletedTask : inner.WriteAsync(buffer, cancellationToken);

        public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        public override Task FlushAsync(CancellationToken cancellationToken) => _frozen ? Task.CompletedTask : inner.FlushAsync(cancellationToken);

        public override void Flush() => inner.Flush();

        public override int Read(byte[] buffer, int offset, int count) => ReadAsync(buffer, offset, count, CancellationToken.None).GetAwaiter().GetResult();

        public override void Write(byte[] buffer, int offset, int count) => WriteAsync(buffer, offset, count, CancellationToken.None).GetAwaiter().GetResult();

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        protected override void Dispose(bool disposing)
        {
            if (disposing && !_disposed.IsCancellationRequested)
            {
                _disposed.Cancel();
                inner.Dispose();
            }
            base.Dispose(disposing);
        }
    }
}
