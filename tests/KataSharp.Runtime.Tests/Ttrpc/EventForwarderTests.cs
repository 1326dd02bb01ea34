using Google.Protobuf.WellKnownTypes;
using KataSharp.Runtime.Containerd.Wire;
using KataSharp.Runtime.Events;
using KataSharp.Runtime.Logging;
using KataSharp.Runtime.Model;
using KataSharp.Runtime.Tests.Fakes;
using KataSharp.Runtime.Ttrpc;
using Xunit;

namespace KataSharp.Runtime.Tests.Ttrpc;

/// <summary>The forwarder against a stand-in for containerd's ttrpc events service on a real socket.</summary>
public class EventForwarderTests
{
    [Fact]
    public async Task Events_arrive_in_order_as_envelopes_with_bare_type_urls()
    {
        await using var containerd = new FakeContainerdEvents();
        await using var forwarder = new EventForwarder("unix://" + containerd.SocketPath, "default", RuntimeLog.Null, TimeSpan.FromMilliseconds(10));
        var key = new ProcessKey("c1", null);
        forwarder.Publish(TaskEvents.Start("c1", 9));
        forwarder.Publish(TaskEvents.Exit(key, 9, new ExitStatus(0, DateTimeOffset.UnixEpoch)));
        forwarder.Publish(TaskEvents.Delete("c1", 9, new ExitStatus(0, DateTimeOffset.UnixEpoch)));
        await forwarder.FlushAsync(CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(10));

        var envelopes = containerd.Received;
        Assert.Equal(["/tasks/start", "/tasks/exit", "/tasks/delete"], envelopes.Select(e => e.Topic));
        Assert.All(envelopes, e => Assert.Equal("default", e.Namespace));
        Assert.Equal(["containerd.events.TaskStart", "containerd.events.TaskExit", "containerd.events.TaskDelete"], envelopes.Select(e => e.Event.TypeUrl));
        Assert.Equal("c1", TaskExit.Parser.ParseFrom(envelopes[1].Event.Value).Id);
    }

    [Fact]
    public async Task A_failed_delivery_is_retried_before_the_next_event_so_order_is_kept()
    {
        await using var containerd = new FakeContainerdEvents(failFirst: 2);
        await using var forwarder = new EventForwarder(containerd.SocketPath, "ns", RuntimeLog.Null, TimeSpan.FromMilliseconds(10));
        forwarder.Publish(TaskEvents.Paused("c1"));
        forwarder.Publish(TaskEvents.Resumed("c1"));
        await forwarder.FlushAsync(CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(["/tasks/paused", "/tasks/resumed"], containerd.Received.Select(e => e.Topic));
        Assert.Equal(4, containerd.Attempts);
    }

    private sealed class FakeContainerdEvents : IAsyncDisposable
    {
        private readonly TempDirectory _directory = new("ks-events");
        private readonly TtrpcServer _server;
        private readonly Task _serving;
        private readonly List<Envelope> _received = [];
        private int _failuresLeft;

        public FakeContainerdEvents(int failFirst = 0)
        {
            _failuresLeft = failFirst;
            SocketPath = _directory.Combine("containerd.sock.ttrpc");
            var registry = new TtrpcServiceRegistry();
            registry.Add(EventForwarder.Service, EventForwarder.Method, ForwardRequest.Parser, (request, context) =>
            {
                lock (_received)
                {
                    Attempts++;
                    if (_failuresLeft-- > 0)
                    {
                        throw new TtrpcException(TtrpcStatusCode.Unavailable, "containerd is busy");
                    }
                    _received.Add(request.Envelope);
                }
                return Task.FromResult(new Empty());
            });
            (_server, _serving) = TestListener.Serve(SocketPath, registry);
        }

        public string SocketPath { get; }

        public int Attempts { get; private set; }

        public List<Envelope> Received
        {
            get
            {
                lock (_received)
                {
                    return _received.ToList();
                }
            }
        }

        public async ValueTask DisposeAsync()
        {
            await _server.StopAsync();
            await _serving;
            _directory.Dispose();
        }
    }
}
