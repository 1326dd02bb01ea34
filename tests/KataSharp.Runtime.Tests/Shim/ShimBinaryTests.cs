using System.Text;
using Google.Protobuf.WellKnownTypes;
using KataSharp.Linux.Files;
using KataSharp.Linux.Processes;
using KataSharp.Runtime.Containerd.Wire;
using KataSharp.Runtime.Persistence;
using KataSharp.Runtime.Tasks;
using KataSharp.Runtime.Tests.Fakes;
using KataSharp.Runtime.Ttrpc;
using KataSharp.Shim.Verbs;
using Xunit;

namespace KataSharp.Runtime.Tests.Shim;

/// <summary>
/// The real binary with containerd 1.6's arguments, environment and bundle layout: `start` must
/// print only the address and return while its server keeps running detached; `delete` must print
/// a DeleteResponse and clean up after a dead shim. (No VM here: Create stops at the config check.)
/// </summary>
public sealed class ShimBinaryTests : IDisposable
{
    private const string Namespace = "katasharp-test";

    // First: it throws when the shim is not published, and a field made before it (the directory) would then leak.
    private readonly ShimBinary _shim = new();
    private readonly TempDirectory _directory = new("ks-shim");
    private readonly List<int> _servers = [];
    private readonly string _id = "kst-" + Guid.NewGuid().ToString("N")[..12];

    public ShimBinaryTests()
    {
        Directory.CreateDirectory(_directory.Combine("state"));
        File.WriteAllText(_directory.Combine("configuration.toml"), """
            [hypervisor.katasharp]
            kernel = "/nonexistent/katasharp/vmlinux"
            initrd = "/nonexistent/katasharp/initrd"
            """);
        _shim.Environment["KATASHARP_STATE_DIR"] = _directory.Combine("state");
        _shim.Environment["KATASHARP_CONFIG"] = _directory.Combine("configuration.toml");
        _shim.Environment["TTRPC_ADDRESS"] = _directory.Combine("no-containerd.sock.ttrpc");
    }

    [Fact]
    public async Task Start_prints_the_address_detaches_the_server_and_shares_it_with_the_pod()
    {
        string bundle = Bundle(_id);
        var (code, stdout, stderr) = await _shim.RunAsync(bundle, Namespace, _id, "start");
        Assert.True(code == 0, $"start failed ({code}): {stderr}");
        string socket = ShimSocketAddress.PathFor(ShimBinary.ContainerdAddress, Namespace, _id);
        Assert.Equal("unix://" + socket, Encoding.UTF8.GetString(stdout));
        Assert.Equal("unix://" + socket, File.ReadAllText(Path.Combine(bundle, "address")));

        await using var client = await TtrpcClient.ConnectAsync("unix://" + socket, CancellationToken.None);
        var connect = await Call(client, "Connect", new ConnectRequest { Id = _id }, ConnectResponse.Parser);
        int server = (int)connect.ShimPid;
        _servers.Add(server);
        Assert.NotEqual(Environment.ProcessId, server);
        Assert.Equal(server, SessionOf(server)); // setsid: a session of its own, not containerd's

        // A second container of the same pod (CRI: sandbox-id annotation) gets the same shim.
        string second = "kst2-" + _id;
        string secondBundle = Bundle(second, sandboxId: _id);
        var (code2, stdout2, _) = await _shim.RunAsync(secondBundle, Namespace, second, "start");
        Assert.Equal(0, code2);
        Assert.Equal("unix://" + socket, Encoding.UTF8.GetString(stdout2));
        await using var client2 = await TtrpcClient.ConnectAsync(socket, CancellationToken.None);
        Assert.Equal(connect.ShimPid, (await Call(client2, "Connect", new ConnectRequest { Id = second }, ConnectResponse.Parser)).ShimPid);

        // Nothing created: Shutdown lets the server go, and it removes its socket.
        await Call(client, "Shutdown", new ShutdownRequest { Id = _id }, Empty.Parser);
        await Eventually.TrueAsync(() => !Directory.Exists($"/proc/{server}"), "the shim server exits after Shutdown");
        Assert.False(File.Exists(socket));
        Assert.Contains("serving on " + socket, await ReadLogAsync(bundle));
    }

    [Fact]
    public async Task Create_with_a_missing_guest_kernel_fails_naming_the_config_key()
    {
        string bundle = Bundle(_id);
        var (code, stdout, stderr) = await _shim.RunAsync(bundle, Namespace, _id, "start");
        Assert.True(code == 0, stderr);
        await using var client = await TtrpcClient.ConnectAsync(Encoding.UTF8.GetString(stdout), CancellationToken.None);
        _servers.Add((int)(await Call(client, "Connect", new ConnectRequest { Id = _id }, ConnectResponse.Parser)).ShimPid);

        var create = new CreateTaskRequest { Id = _id, Bundle = bundle };
        create.Rootfs.Add(new Mount { Type = "bind", Source = bundle, Options = { "ro" } });
        var error = await Assert.ThrowsAsync<TtrpcException>(() => Call(client, "Create", create, CreateTaskResponse.Parser));
        Assert.Equal(TtrpcStatusCode.InvalidArgument, error.Code);
        Assert.Contains("hypervisor.katasharp.kernel = \"/nonexistent/katasharp/vmlinux\": no such file", error.Message);
        await Call(client, "Shutdown", new ShutdownRequest { Id = _id }, Empty.Parser);
    }

    [Fact]
    public async Task Delete_prints_a_delete_response_and_cleans_up_after_a_killed_shim()
    {
        string bundle = Bundle(_id);
        var (code, stdout, stderr) = await _shim.RunAsync(bundle, Namespace, _id, "start");
        Assert.True(code == 0, stderr);
        string socket = Encoding.UTF8.GetString(stdout)["unix://".Length..];
        await using (var client = await TtrpcClient.ConnectAsync(socket, CancellationToken.None))
        {
            int server = (int)(await Call(client, "Connect", new ConnectRequest { Id = _id }, ConnectResponse.Parser)).ShimPid;
            _servers.Add(server);
            // What a crashed shim leaves behind: its state record (as after a Create) and its socket.
            var store = new SandboxStateStore(_directory.Combine("state"));
            store.Save(new SandboxRecord(_id, Namespace, server, ProcessStartTime.Of(server)!.Value, socket, [new ContainerRecord(_id, bundle)]));
            File.WriteAllText(Path.Combine(store.DirectoryOf(_id), "console.log"), "guest console");
            ProcessSignal.Send(server, ProcessSignal.SIGKILL);
            await Eventually.TrueAsync(() => !Directory.Exists($"/proc/{server}") || File.ReadAllText($"/proc/{server}/stat").Contains(") Z"), "the shim is dead");
        }
        Assert.True(File.Exists(socket));

        var started = DateTimeOffset.UtcNow;
        var (deleteCode, deleteOut, deleteErr) = await _shim.RunAsync(bundle, Namespace, _id, "delete", "-bundle", bundle);
        Assert.True(DateTimeOffset.UtcNow - started < TimeSpan.FromSeconds(5), "containerd allows delete 5 s");
        Assert.True(deleteCode == 0, deleteErr);
        var response = DeleteResponse.Parser.ParseFrom(deleteOut);
        Assert.Equal(137u, response.ExitStatus);
        Assert.True(response.ExitedAt.ToDateTimeOffset() >= started.AddSeconds(-1));
        Assert.False(File.Exists(socket));
        Assert.False(Directory.Exists(Path.Combine(_directory.Combine("state"), _id)));

        // Idempotent: a second delete finds nothing to do and still answers.
        var (againCode, againOut, _) = await _shim.RunAsync(bundle, Namespace, _id, "delete", "-bundle", bundle);
        Assert.Equal(0, againCode);
        Assert.Equal(137u, DeleteResponse.Parser.ParseFrom(againOut).ExitStatus);
    }

    [Fact]
    public async Task Delete_leaves_a_live_shim_alone()
    {
        string bundle = Bundle(_id);
        var (code, stdout, stderr) = await _shim.RunAsync(bundle, Namespace, _id, "start");
        Assert.True(code == 0, stderr);
        string socket = Encoding.UTF8.GetString(stdout)["unix://".Length..];
        await using var client = await TtrpcClient.ConnectAsync(socket, CancellationToken.None);
        int server = (int)(await Call(client, "Connect", new ConnectRequest { Id = _id }, ConnectResponse.Parser)).ShimPid;
        _servers.Add(server);
        var store = new SandboxStateStore(_directory.Combine("state"));
        store.Save(new SandboxRecord(_id, Namespace, server, ProcessStartTime.Of(server)!.Value, socket, []));

        var (deleteCode, deleteOut, _) = await _shim.RunAsync(bundle, Namespace, _id, "delete", "-bundle", bundle);
        Assert.Equal(0, deleteCode);
        Assert.Equal(137u, DeleteResponse.Parser.ParseFrom(deleteOut).ExitStatus);
        Assert.True(File.Exists(socket));
        Assert.NotNull(store.Load(_id));
        await Call(client, "Connect", new ConnectRequest { Id = _id }, ConnectResponse.Parser); // still serving
        await Call(client, "Shutdown", new ShutdownRequest { Id = _id }, Empty.Parser);
    }

    [Fact]
    public async Task Unknown_action_and_missing_namespace_fail_with_a_message()
    {
        string bundle = Bundle(_id);
        var (code, stdout, _) = await _shim.RunAsync(bundle, Namespace, _id, "frobnicate");
        Assert.Equal(1, code);
        Assert.Empty(stdout);
        var (emptyNs, _, stderr) = await _shim.RunAsync(bundle, "", _id, "start");
        Assert.Equal(1, emptyNs);
        Assert.Contains("namespace", stderr);
    }

    [Fact]
    public async Task Dash_v_prints_the_version_block_of_containerd_s_shims_and_exits_zero()
    {
        // The published NativeAOT binary: the stamp must survive trimming, and the name is the file's.
        var (code, stdout, stderr) = await _shim.RunAsync(Bundle(_id), Namespace, _id, "-v");
        Assert.True(code == 0, stderr);
        string[] lines = Encoding.UTF8.GetString(stdout).Split('\n');
        Assert.Equal("containerd-shim-katasharp-v2:", lines[0]);
        Assert.Matches(@"^  Version:  [0-9]+\.[0-9]+\.[0-9]+$", lines[1]);
        Assert.Matches(@"^  Revision: ([0-9a-f]{12}|unknown)$", lines[2]);
        Assert.StartsWith("  .NET version: .NET ", lines[3]);
        Assert.Equal(["", ""], lines[4..]);
    }

    private static Task<T> Call<T>(TtrpcClient client, string method, Google.Protobuf.IMessage request, Google.Protobuf.MessageParser<T> parser)
        where T : Google.Protobuf.IMessage<T> =>
        client.CallAsync(TaskService.ServiceName, method, request, parser, [KeyValuePair.Create(TtrpcCallContext.NamespaceKey, Namespace)], TimeSpan.FromSeconds(20));

    /// <summary>A bundle as containerd lays it out: config.json, rootfs/, and the `log` FIFO containerd holds open.</summary>
    private string Bundle(string id, string? sandboxId = null)
    {
        string bundle = _directory.Combine("bundles", id);
        Directory.CreateDirectory(Path.Combine(bundle, "rootfs"));
        string annotations = sandboxId is null ? "{}" : $$"""{"io.kubernetes.cri.container-type":"container","io.kubernetes.cri.sandbox-id":"{{sandboxId}}"}""";
        File.WriteAllText(Path.Combine(bundle, "config.json"), $$"""{"ociVersion":"1.0.2","annotations":{{annotations}}}""");
        Fifo.Create(Path.Combine(bundle, "log"));
        _logs[bundle] = FileDescriptor.Open(Path.Combine(bundle, "log"), (int)(OpenFlags.ReadWrite | OpenFlags.NonBlocking));
        return bundle;
    }

    private readonly Dictionary<string, FileDescriptor> _logs = new();

    private async Task<string> ReadLogAsync(string bundle)
    {
        var text = new StringBuilder();
        byte[] buffer = new byte[65536];
        await Eventually.TrueAsync(() =>
        {
            int n;
            while ((n = _logs[bundle].TryRead(buffer)) > 0)
            {
                text.Append(Encoding.UTF8.GetString(buffer, 0, n));
            }
            return text.Length > 0;
        }, "the shim wrote to its log FIFO");
        return text.ToString();
    }

    private static int SessionOf(int pid)
    {
        string stat = File.ReadAllText($"/proc/{pid}/stat");
        return int.Parse(stat[(stat.LastIndexOf(')') + 2)..].Split(' ')[3]);
    }

    public void Dispose()
    {
        foreach (int pid in _servers.Where(p => Directory.Exists($"/proc/{p}")))
        {
            ProcessSignal.Send(pid, ProcessSignal.SIGKILL);
        }
        foreach (string socket in new[] { _id, "kst2-" + _id }.Select(k => ShimSocketAddress.PathFor(ShimBinary.ContainerdAddress, Namespace, k)))
        {
            File.Delete(socket);
        }
        foreach (var log in _logs.Values)
        {
            log.Dispose();
        }
        _directory.Dispose();
    }
}
