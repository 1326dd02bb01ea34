using System.Net.Sockets;
using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;
using KataSharp.Runtime.Ttrpc;
using KataSharp.Runtime.Ttrpc.Wire;
using Xunit;

namespace KataSharp.Runtime.Tests.Ttrpc;

public class TtrpcServerTests
{
    private static readonly KeyValuePair<string, string>[] DefaultNamespace = [KeyValuePair.Create(TtrpcCallContext.NamespaceKey, "default")];

    [Fact]
    public async Task Many_concurrent_calls_on_one_connection_each_get_their_own_answer()
    {
        await using var server = new TtrpcTestServer();
        await using var client = await server.ConnectAsync();
        var random = new Random(1234);
        var delays = Enumerable.Range(0, 200).Select(_ => random.Next(0, 40)).ToList();
        var results = await Task.WhenAll(delays.Select(d =>
            client.CallAsync(TtrpcTestServer.Service, "Delay", new Int32Value { Value = d }, Int32Value.Parser)));
        Assert.Equal(delays, results.Select(r => r.Value));
        Assert.Equal(1, server.ConnectionCount);
    }

    [Fact]
    public async Task A_late_answer_does_not_hold_back_an_earlier_one()
    {
        await using var server = new TtrpcTestServer();
        await using var client = await server.ConnectAsync();
        var slow = client.CallAsync(TtrpcTestServer.Service, "Delay", new Int32Value { Value = 2000 }, Int32Value.Parser);
        var fast = await client.CallAsync(TtrpcTestServer.Service, "Delay", new Int32Value { Value = 1 }, Int32Value.Parser);
        Assert.Equal(1, fast.Value);
        Assert.False(slow.IsCompleted, "the 2 s call finished before the 1 ms call was answered");
        Assert.Equal(2000, (await slow).Value);
    }

    [Fact]
    public async Task A_long_blocking_call_runs_in_parallel_with_other_calls()
    {
        await using var server = new TtrpcTestServer();
        await using var client = await server.ConnectAsync();
        var blocked = client.CallAsync(TtrpcTestServer.Service, "Block", new StringValue { Value = "wait" }, StringValue.Parser);
        await server.Blocked.Task.WaitAsync(TimeSpan.FromSeconds(10));
        var echoes = await Task.WhenAll(Enumerable.Range(0, 50).Select(i =>
            client.CallAsync(TtrpcTestServer.Service, "Echo", new StringValue { Value = $"e{i}" }, StringValue.Parser, DefaultNamespace)));
        Assert.Equal(Enumerable.Range(0, 50).Select(i => $"e{i} ns=default"), echoes.Select(e => e.Value));
        Assert.False(blocked.IsCompleted);
        server.Release.SetResult();
        Assert.Equal("released wait", (await blocked.WaitAsync(TimeSpan.FromSeconds(10))).Value);
    }

    [Fact]
    public async Task Namespace_metadata_reaches_the_handler()
    {
        await using var server = new TtrpcTestServer();
        await using var client = await server.ConnectAsync();
        var reply = await client.CallAsync(TtrpcTestServer.Service, "Echo", new StringValue { Value = "x" }, StringValue.Parser,
            [KeyValuePair.Create(TtrpcCallContext.NamespaceKey, "k8s.io")]);
        Assert.Equal("x ns=k8s.io", reply.Value);
    }

    [Theory]
    [InlineData("no.Such", "Echo", "service no.Such")]
    [InlineData(TtrpcTestServer.Service, "Nope", "method Nope")]
    public async Task Unknown_service_or_method_is_unimplemented(string service, string method, string message)
    {
        await using var server = new TtrpcTestServer();
        await using var client = await server.ConnectAsync();
        var error = await Assert.ThrowsAsync<TtrpcException>(() => client.CallAsync(service, method, new Empty(), Empty.Parser));
        Assert.Equal(TtrpcStatusCode.Unimplemented, error.Code);
        Assert.Equal(message, error.Message);
    }

    [Fact]
    public async Task Domain_errors_come_back_with_their_code_and_message()
    {
        await using var server = new TtrpcTestServer();
        await using var client = await server.ConnectAsync();
        var error = await Assert.ThrowsAsync<TtrpcException>(() =>
            client.CallAsync(TtrpcTestServer.Service, "Fail", new StringValue { Value = "abc" }, StringValue.Parser));
        Assert.Equal(TtrpcStatusCode.NotFound, error.Code);
        Assert.Equal("no such thing: abc", error.Message);
    }

    [Fact]
    public async Task Request_deadline_from_timeout_nano_is_enforced_by_the_server()
    {
        await using var server = new TtrpcTestServer();
        await using var client = await server.ConnectAsync();
        var request = new Request
        {
            Service = TtrpcTestServer.Service,
            Method = "Block",
            Payload = new StringValue { Value = "late" }.ToByteString(),
            TimeoutNano = 100_000_000,
        };
        Response response = await client.SendAsync(request.ToByteArray()).WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal((int)TtrpcStatusCode.DeadlineExceeded, response.Status.Code);
    }

    [Fact]
    public async Task Malformed_request_payload_is_invalid_argument()
    {
        await using var server = new TtrpcTestServer();
        await using var client = await server.ConnectAsync();
        var request = new Request { Service = TtrpcTestServer.Service, Method = "Echo", Payload = ByteString.CopyFrom(0x0a, 0x05, 0x41) };
        Response response = await client.SendAsync(request.ToByteArray());
        Assert.Equal((int)TtrpcStatusCode.InvalidArgument, response.Status.Code);
    }

    [Fact]
    public async Task Oversized_frame_is_refused_with_resource_exhausted_and_the_connection_keeps_working()
    {
        await using var server = new TtrpcTestServer();
        await using var channel = await RawChannelAsync(server);
        byte[] huge = new byte[TtrpcFrameHeader.MaxMessageLength + 1];
        // The channel refuses to send it, as a ttrpc 1.2 client would...
        await Assert.ThrowsAsync<TtrpcException>(() => channel.WriteFrameAsync(1, TtrpcMessageType.Request, huge, CancellationToken.None));
        // ...so write the frame by hand, as a ttrpc 1.1 client (containerd 1.6) may.
        await SendByHandAndCheckRefusalAsync(server, huge);
    }

    [Theory]
    [InlineData(2u, "StreamID must be odd for client initiated streams")]
    public async Task Even_stream_ids_are_refused(uint streamId, string message)
    {
        await using var server = new TtrpcTestServer();
        await using var channel = await RawChannelAsync(server);
        await channel.WriteFrameAsync(streamId, TtrpcMessageType.Request, EchoRequest("x"), CancellationToken.None);
        var response = await ReadResponseAsync(channel, streamId);
        Assert.Equal((int)TtrpcStatusCode.InvalidArgument, response.Status.Code);
        Assert.Equal(message, response.Status.Message);
    }

    [Fact]
    public async Task Stream_ids_must_increase()
    {
        await using var server = new TtrpcTestServer();
        await using var channel = await RawChannelAsync(server);
        await channel.WriteFrameAsync(5, TtrpcMessageType.Request, EchoRequest("a"), CancellationToken.None);
        Assert.Equal(0, (await ReadResponseAsync(channel, 5)).Status.Code);
        await channel.WriteFrameAsync(3, TtrpcMessageType.Request, EchoRequest("b"), CancellationToken.None);
        Assert.Equal((int)TtrpcStatusCode.InvalidArgument, (await ReadResponseAsync(channel, 3)).Status.Code);
    }

    [Fact]
    public async Task Data_frames_are_ignored_by_a_unary_server()
    {
        await using var server = new TtrpcTestServer();
        await using var channel = await RawChannelAsync(server);
        await channel.WriteFrameAsync(1, TtrpcMessageType.Data, new byte[] { 1, 2, 3 }, CancellationToken.None);
        await channel.WriteFrameAsync(3, TtrpcMessageType.Request, EchoRequest("after data"), CancellationToken.None);
        var response = await ReadResponseAsync(channel, 3);
        Assert.Equal("after data ns=-", StringValue.Parser.ParseFrom(response.Payload).Value);
    }

    [Fact]
    public async Task Peers_refused_by_the_credential_check_are_disconnected()
    {
        await using var server = new TtrpcTestServer(peer => peer.Uid == uint.MaxValue);
        await using var client = await server.ConnectAsync();
        var error = await Assert.ThrowsAsync<TtrpcException>(() =>
            client.CallAsync(TtrpcTestServer.Service, "Echo", new StringValue { Value = "x" }, StringValue.Parser, timeout: TimeSpan.FromSeconds(10)));
        Assert.Equal(TtrpcStatusCode.Unavailable, error.Code);
    }

    [Fact]
    public async Task Same_user_peers_pass_the_credential_check()
    {
        uint uid = KataSharp.Linux.Processes.ProcessIdentity.EffectiveUserId;
        await using var server = new TtrpcTestServer(peer => peer.Uid == uid && peer.Pid == Environment.ProcessId);
        await using var client = await server.ConnectAsync();
        var reply = await client.CallAsync(TtrpcTestServer.Service, "Echo", new StringValue { Value = "me" }, StringValue.Parser);
        Assert.Equal("me ns=-", reply.Value);
    }

    private static byte[] EchoRequest(string value) =>
        new Request { Service = TtrpcTestServer.Service, Method = "Echo", Payload = new StringValue { Value = value }.ToByteString() }.ToByteArray();

    private static async Task<TtrpcChannel> RawChannelAsync(TtrpcTestServer server)
    {
        var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        await socket.ConnectAsync(new UnixDomainSocketEndPoint(server.SocketPath));
        return new TtrpcChannel(new NetworkStream(socket, ownsSocket: true));
    }

    private static async Task SendByHandAndCheckRefusalAsync(TtrpcTestServer server, byte[] payload)
    {
        using var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        await socket.ConnectAsync(new UnixDomainSocketEndPoint(server.SocketPath));
        await using var stream = new NetworkStream(socket, ownsSocket: false);
        byte[] header = new byte[TtrpcFrameHeader.Size];
        new TtrpcFrameHeader((uint)payload.Length, 1, TtrpcMessageType.Request, TtrpcFlags.None).WriteTo(header);
        await stream.WriteAsync(header);
        await stream.WriteAsync(payload);
        await using var channel = new TtrpcChannel(stream);
        var refusal = await ReadResponseAsync(channel, 1);
        Assert.Equal((int)TtrpcStatusCode.ResourceExhausted, refusal.Status.Code);
        Assert.Contains("exceed maximum message size", refusal.Status.Message);

        await channel.WriteFrameAsync(3, TtrpcMessageType.Request, EchoRequest("still here"), CancellationToken.None);
        var echo = await ReadResponseAsync(channel, 3);
        Assert.Equal("still here ns=-", StringValue.Parser.ParseFrom(echo.Payload).Value);
    }

    private static async Task<Response> ReadResponseAsync(TtrpcChannel channel, uint streamId)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        var frame = await channel.ReadFrameAsync(timeout.Token) ?? throw new EndOfStreamException("server closed the connection");
        Assert.Equal(TtrpcMessageType.Response, frame.Header.Type);
        Assert.Equal(streamId, frame.Header.StreamId);
        return Response.Parser.ParseFrom(frame.Payload);
    }
}
