using System.Text;
using Google.Protobuf;
using KataSharp.Linux.Files;
using KataSharp.Runtime.Configuration;
using KataSharp.Runtime.Containerd.Wire;
using KataSharp.Runtime.Io;
using KataSharp.Runtime.Memory;
using KataSharp.Runtime.Persistence;
using KataSharp.Runtime.Rootfs;
using KataSharp.Runtime.Sandbox;
using KataSharp.Runtime.Tasks;
using KataSharp.Runtime.Tests.Fakes;
using KataSharp.Runtime.Ttrpc;

namespace KataSharp.Runtime.Tests.Tasks;

/// <summary>
/// The Task service as containerd sees it: served over ttrpc on a real unix socket, with the
/// fake backend behind it, real FIFOs, a real configuration file and real erofs layer images.
/// </summary>
public sealed class TaskHarness : IAsyncDisposable
{
    public const string Namespace = "default";

    private readonly TempDirectory _directory = new("ks-task");
    private readonly TtrpcServer _server;
    private readonly Task _serving;
    private readonly List<FifoReader> _readers = [];
    // The memory trim's waits never end here: the tests count the starts that ask for it.
    private readonly TaskCompletionSource _trimWait = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private TaskHarness(string? configuration)
    {
        File.WriteAllText(_directory.Combine("vmlinux"), "kernel");
        File.WriteAllText(_directory.Combine("initrd"), "initrd");
        Directory.CreateDirectory(_directory.Combine("layer"));
        File.WriteAllText(_directory.Combine("layer", "hello.txt"), "from the image\n");
        ConfigPath = _directory.Combine("configuration.toml");
        File.WriteAllText(ConfigPath, configuration ?? $"""
            [hypervisor.katasharp]
            kernel = "{_directory.Combine("vmlinux")}"
            initrd = "{_directory.Combine("initrd")}"
            [runtime]
            layer_cache_dir = "{_directory.Combine("layers")}"
            io_drain_timeout_seconds = 5
            """);
        Store = new SandboxStateStore(_directory.Combine("state"));
        LayerCache = new LayerImageCache(_directory.Combine("layers"), new ErofsBuilder(), KataSharp.Runtime.Logging.RuntimeLog.Null);
        var sandbox = new SandboxHost("sb1", Store.DirectoryOf("sb1"), _ => Backend, path => ConfigurationLoader.Load(path ?? ConfigPath),
            _ => LayerCache, Log);
        Trim = new MemoryTrim(Log, wait: _ => _trimWait.Task, trimShim: () => { });
        Supervisor = new TaskSupervisor(sandbox, Events, Store, new ShimIdentity(Namespace, Environment.ProcessId, 1, "/nowhere"), Log, Trim);
        var registry = new TtrpcServiceRegistry();
        new TaskService(Supervisor, () => ExitRequested = true).Register(registry);
        string socket = _directory.Combine("shim.sock");
        (_server, _serving) = TestListener.Serve(socket, registry);
        Client = TtrpcClient.ConnectAsync(socket, CancellationToken.None).GetAwaiter().GetResult();
    }

    public FakeSandboxBackend Backend { get; } = new();

    /// <summary>Writes nothing, but has this harness's own drop counters.</summary>
    public KataSharp.Runtime.Logging.RuntimeLog Log { get; } = new(TextWriter.Null, debug: false, "sb1");

    public RecordingEventSink Events { get; } = new();

    public SandboxStateStore Store { get; }

    public LayerImageCache LayerCache { get; }

    public TaskSupervisor Supervisor { get; }

    /// <summary>Asked for by container starts; its quiet period lasts until the harness is disposed.</summary>
    public MemoryTrim Trim { get; }

    public TtrpcClient Client { get; }

    public string ConfigPath { get; }

    public bool ExitRequested { get; private set; }

    public string LayerDirectory => _directory.Combine("layer");

    public static TaskHarness Start(string? configuration = null) => new(configuration);

    public string Path(string name) => _directory.Combine(name);

    public Task<T> Call<T>(string method, IMessage request, MessageParser<T> parser) where T : IMessage<T> =>
        Client.CallAsync(TaskService.ServiceName, method, request, parser, [KeyValuePair.Create(TtrpcCallContext.NamespaceKey, Namespace)]);

    public async Task<TtrpcException> CallFails<T>(string method, IMessage request, MessageParser<T> parser) where T : IMessage<T>
    {
        try
        {
            await Call(method, request, parser);
        }
        catch (TtrpcException e)
        {
            return e;
        }
        throw new Xunit.Sdk.XunitException($"{method} succeeded but was expected to fail");
    }

    /// <summary>A bundle directory with a config.json (annotations and bind mounts as given).</summary>
    public string Bundle(string id, string extraSpec = "")
    {
        string bundle = _directory.Combine("bundles", id);
        Directory.CreateDirectory(bundle);
        File.WriteAllText(System.IO.Path.Combine(bundle, "config.json"), $$"""{"ociVersion":"1.0.2","process":{"args":["sh"]}{{extraSpec}}}""");
        return bundle;
    }

    public string Fifo(string name)
    {
        string path = _directory.Combine(name);
        KataSharp.Linux.Files.Fifo.Create(path);
        return path;
    }

    public CreateTaskRequest CreateRequest(string id, string stdout = "", string stderr = "", string stdin = "", bool terminal = false)
    {
        var request = new CreateTaskRequest
        {
            Id = id,
            Bundle = Bundle(id),
            Stdout = stdout,
            Stderr = stderr,
            Stdin = stdin,
            Terminal = terminal,
        };
        request.Rootfs.Add(new Mount { Type = "bind", Source = LayerDirectory, Options = { "ro", "rbind" } });
        return request;
    }

    /// <summary>Reads a FIFO to end of file like ctr does, starting now (before the shim opens it).</summary>
    public Task<string> ReadFifoToEnd(string path)
    {
        var reader = FifoReader.Open(path);
        _readers.Add(reader);
        return Task.Factory.StartNew(() =>
        {
            var text = new MemoryStream();
            byte[] buffer = new byte[16384];
            int n;
            while ((n = reader.Read(buffer)) > 0)
            {
                text.Write(buffer, 0, n);
            }
            return Encoding.UTF8.GetString(text.ToArray());
        }, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var reader in _readers)
        {
            reader.Cancel();
        }
        await Client.DisposeAsync();
        await _server.StopAsync();
        await _serving;
        await Supervisor.DisposeAsync();
        _trimWait.TrySetResult();
        foreach (var reader in _readers)
        {
            reader.Dispose();
        }
        _directory.Dispose();
    }
}
