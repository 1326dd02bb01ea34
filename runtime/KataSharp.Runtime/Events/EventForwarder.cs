using System.Threading.Channels;
using Google.Protobuf.WellKnownTypes;
using KataSharp.Runtime.Containerd;
using KataSharp.Runtime.Containerd.Wire;
using KataSharp.Runtime.Logging;
using KataSharp.Runtime.Ttrpc;

namespace KataSharp.Runtime.Events;

/// <summary>
/// The single ordered forwarder: one queue, one loop, one event at a time to containerd's
/// ttrpc events service (containerd.services.events.ttrpc.v1.Events/Forward on $TTRPC_ADDRESS).
/// A failed delivery is retried (reconnecting) with a growing back-off before the next event is
/// sent, so order is kept; after the last attempt the event is logged and dropped, as
/// containerd's own shim library does.
/// </summary>
public sealed class EventForwarder : ITaskEventSink
{
    public const string Service = "containerd.services.events.ttrpc.v1.Events";
    public const string Method = "Forward";

    private static readonly TimeSpan CallTimeout = TimeSpan.FromSeconds(5);
    private const int MaxAttempts = 5;

    private readonly string _address;
    private readonly string _namespace;
    private readonly RuntimeLog _log;
    private readonly TimeSpan _backoffUnit;
    private readonly Channel<object> _queue = Channel.CreateUnbounded<object>(new UnboundedChannelOptions { SingleReader = true });
    private readonly Task _loop;
    private TtrpcClient? _client;

    /// <param name="address">containerd's ttrpc socket ($TTRPC_ADDRESS), with or without unix://.</param>
    /// <param name="backoffUnit">Delay unit between attempts (attempt n waits n units).</param>
    public EventForwarder(string address, string containerdNamespace, RuntimeLog log, TimeSpan? backoffUnit = null)
    {
        _address = address;
        _namespace = containerdNamespace;
        _log = log;
        _backoffUnit = backoffUnit ?? TimeSpan.FromSeconds(1);
        _loop = Task.Run(RunAsync);
    }

    public void Publish(TaskEvent taskEvent)
    {
        if (!_queue.Writer.TryWrite(taskEvent))
        {
            _log.Warn($"event {taskEvent.Topic} dropped: the forwarder is shut down");
        }
    }

    public Task FlushAsync(CancellationToken cancellationToken)
    {
        var marker = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        if (!_queue.Writer.TryWrite(marker))
        {
            return Task.CompletedTask;
        }
        return marker.Task.WaitAsync(cancellationToken);
    }

    private async Task RunAsync()
    {
        await foreach (object item in _queue.Reader.ReadAllAsync())
        {
            if (item is TaskCompletionSource marker)
            {
                marker.TrySetResult();
                continue;
            }
            await DeliverAsync((TaskEvent)item);
        }
    }

    private async Task DeliverAsync(TaskEvent taskEvent)
    {
        var request = new ForwardRequest
        {
            Envelope = new Envelope
            {
                Timestamp = Timestamp.FromDateTimeOffset(taskEvent.Timestamp),
                Namespace = _namespace,
                Topic = taskEvent.Topic,
                Event = TypeUrls.Pack(taskEvent.Message),
            },
        };
        for (int attempt = 1; attempt <= MaxAttempts; attempt++)
        {
            try
            {
                _client ??= await TtrpcClient.ConnectAsync(_address, CancellationToken.None);
                await _client.CallAsync(Service, Method, request, Empty.Parser, timeout: CallTimeout);
                return;
            }
            catch (Exception e) when (e is TtrpcException or IOException or System.Net.Sockets.SocketException)
            {
                _log.Warn($"publishing {taskEvent.Topic} failed (attempt {attempt} of {MaxAttempts}): {e.Message}");
                await ResetClientAsync();
                if (attempt < MaxAttempts)
                {
                    await Task.Delay(_backoffUnit * attempt);
                }
            }
        }
        _log.Error($"event {taskEvent.Topic} dropped after {MaxAttempts} attempts");
    }

    private async Task ResetClientAsync()
    {
        if (_client is not null)
        {
            await _client.DisposeAsync();
            _client = null;
        }
    }

    public async ValueTask DisposeAsync()
    {
        _queue.Writer.TryComplete();
        await _loop;
        await ResetClientAsync();
    }
}
