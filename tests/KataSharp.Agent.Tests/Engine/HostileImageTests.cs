using System.Text.Json.Nodes;
using KataSharp.Agent.Engine;
using KataSharp.Agent.Engine.Processes;
using KataSharp.Agent.Errors;
using KataSharp.Agent.Tests.Support;
using KataSharp.AgentCtl.Scenarios;
using Xunit;

namespace KataSharp.Agent.Tests.Engine;

/// <summary>
/// Images and specs that try to make container setup act on the guest instead of the container:
/// symlinks where the agent expects device nodes or directories, a FIFO where it reads /etc/passwd,
/// a /dev/null that is not the null device, and a spec without capabilities.
/// Each image is busybox with a hostile layer on top; "the guest" is this test machine.
/// </summary>
public sealed class HostileImageTests : IDisposable
{
    private readonly EngineHarness _harness = new();
    private readonly string _dir = Path.Combine("/var/tmp", $"ks-hostile-{Guid.NewGuid():N}"[..20]);

    public HostileImageTests() => Directory.CreateDirectory(_dir);

    private string Layer(string name)
    {
        string layer = Path.Combine(_dir, name);
        Directory.CreateDirectory(layer);
        return layer;
    }

    private Task<(int ExitCode, string Stdout, string Stderr)> RunAsync(string script, string? layer, Action<JsonObject>? edit = null)
    {
        JsonObject spec = OciSpecs.Create("sh", "-c", script);
        edit?.Invoke(spec);
        return _harness.RunAsync($"h{Guid.NewGuid():N}"[..12], spec, layer is null ? null : EngineHarness.BusyboxWith(layer));
    }

    private static void WithoutDevTmpfs(JsonObject spec) =>
        spec["mounts"]!.AsArray().Remove(spec["mounts"]!.AsArray().Single(m => (string?)m!["destination"] == "/dev"));

    [Fact]
    public async Task AnImagesDevNull_SymlinkedToAGuestFile_IsReplaced_AndTheGuestFileKeepsItsMode()
    {
        string guestFile = Path.Combine(_dir, "guest-secret");
        File.WriteAllText(guestFile, "guest only\n");
        File.SetUnixFileMode(guestFile, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        string layer = Layer("devnull-link");
        Directory.CreateDirectory(Path.Combine(layer, "dev"));
        File.CreateSymbolicLink(Path.Combine(layer, "dev", "null"), guestFile); // absolute: the guest's path

        (int, string, string) result = default;
        Exception? failure = await Record.ExceptionAsync(async () =>
            result = await RunAsync("[ -c /dev/null ] && [ ! -L /dev/null ] && echo null-is-a-device", layer, WithoutDevTmpfs));

        // The old code chmod-ed through the link (the guest's file became 0666), then failed to mask.
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(guestFile));
        Assert.Null(failure);
        var (code, stdout, stderr) = result;
        Assert.True(code == 0, $"exit {code}: {stderr}");
        Assert.Equal("null-is-a-device\n", stdout);
    }

    [Fact]
    public async Task AnImagesDevDirectory_SymlinkedIntoTheGuest_GetsNoDeviceSymlinksInTheGuest()
    {
        string guestDir = Path.Combine(_dir, "guest-dir");
        Directory.CreateDirectory(guestDir);
        string layer = Layer("dev-link");
        File.CreateSymbolicLink(Path.Combine(layer, "dev"), guestDir); // absolute: the guest's path
        Directory.CreateDirectory(layer + guestDir); // where the link leads when resolved inside the container

        var (code, stdout, stderr) = await RunAsync("[ -L /dev/fd ] && [ -c /dev/null ] && echo dev-inside", layer, WithoutDevTmpfs);

        // The old code made /dev/fd, /dev/stdin... as "<rootfs>/dev/fd": the link led into the guest.
        Assert.Empty(Directory.GetFileSystemEntries(guestDir));
        Assert.True(code == 0, $"exit {code}: {stderr}");
        Assert.Equal("dev-inside\n", stdout);
    }

    [Fact]
    public async Task ADevNullThatIsNotTheNullDevice_IsRefusedForMasking()
    {
        var e = await Assert.ThrowsAsync<AgentException>(() => RunAsync("true", null, spec =>
            spec["linux"]!["devices"] = new JsonArray(new JsonObject { ["path"] = "/dev/null", ["type"] = "c", ["major"] = 1, ["minor"] = 5 })));
        Assert.Equal(AgentErrorCode.InvalidArgument, e.Code);
        Assert.Equal("linux.maskedPaths", e.Field);
        Assert.Contains("not the null character device (1:3)", e.Message);
    }

    [Fact]
    public async Task AFifoAsEtcPasswd_FailsCreateAtOnce_InsteadOfBlockingIt()
    {
        string layer = Layer("passwd-fifo");
        Directory.CreateDirectory(Path.Combine(layer, "etc"));
        string fifo = Path.Combine(layer, "etc", "passwd");
        CommandResult mkfifo = Commands.Run("mkfifo", fifo);
        Assert.True(mkfifo.ExitCode == 0, mkfifo.Stderr);

        // On a worker: the old code blocked in the synchronous part of CreateAsync.
        Task<AgentException> create = Task.Run(() => Assert.ThrowsAsync<AgentException>(() => RunAsync("true", layer, spec =>
            spec["process"]!["user"] = new JsonObject { ["username"] = "tester" })));
        try
        {
            Assert.True(await Task.WhenAny(create, Task.Delay(TimeSpan.FromSeconds(60))) == create, "reading the image's /etc/passwd FIFO blocked CreateContainer");
        }
        finally
        {
            // The old code blocked in open(2): a writer on the container's view of the FIFO lets it go.
            foreach (string container in create.IsCompleted ? [] : Directory.GetDirectories(Path.Combine(_harness.StateDir, "containers")))
            {
                using var writer = new FileStream(Path.Combine(container, "rootfs", "etc", "passwd"), FileMode.Open, FileAccess.Write);
            }
        }
        AgentException e = await create;
        Assert.Equal("process.user.username", e.Field);
        Assert.Contains("a FIFO", e.Message);
    }

    [Fact]
    public async Task AnEtcPasswdSymlinkedToAGuestFile_IsResolvedInsideTheContainer()
    {
        string guestPasswd = Path.Combine(_dir, "guest-passwd");
        File.WriteAllText(guestPasswd, "tester:x:4242:4242::/:/bin/sh\n");
        string layer = Layer("passwd-link");
        Directory.CreateDirectory(Path.Combine(layer, "etc"));
        File.CreateSymbolicLink(Path.Combine(layer, "etc", "passwd"), guestPasswd); // absolute: the guest's path

        // Resolved inside the container, the link names a file that is not there.
        var e = await Assert.ThrowsAsync<AgentException>(() => RunAsync("id -u", layer, spec =>
            spec["process"]!["user"] = new JsonObject { ["username"] = "tester" }));
        Assert.Equal("process.user.username", e.Field);
        Assert.Contains("No such file or directory", e.Message);
    }

    [Fact]
    public async Task ASpecWithoutCapabilities_GivesTheContainerAndItsExecsNone()
    {
        const string Caps = "grep -E '^Cap(Eff|Prm|Bnd|Inh|Amb):' /proc/self/status";
        // The init stays until its stdin closes, after the exec: killing it instead raced its own grep on a loaded machine.
        JsonObject spec = OciSpecs.Create("sh", "-c", $"{Caps}; read -r _ || true");
        spec["process"]!.AsObject().Remove("capabilities");
        string id = $"h{Guid.NewGuid():N}"[..12];
        await _harness.CreateAsync(id, spec, new StdioRequest(true, true, false));
        ContainerEngine engine = _harness.Engine;
        Task<string> initOut = EngineHarness.ReadAllAsync(engine.GetProcess(id, "").Stdio.Stdout);
        await engine.StartAsync(id, Deadline.Token(30));

        JsonObject exec = OciSpecs.Process("sh", "-c", Caps);
        exec.Remove("capabilities");
        await engine.ExecAsync(id, "e1", OciSpecs.Bytes(exec), new StdioRequest(false, true, false), Deadline.Token(30));
        Task<string> execOut = EngineHarness.ReadAllAsync(engine.GetProcess(id, "e1").Stdio.Stdout);
        Assert.Equal(0, (await engine.WaitAsync(id, "e1", Deadline.Token(30))).ExitCode);
        string execCaps = await execOut;

        engine.GetProcess(id, "").Stdio.CloseStdin();
        Assert.Equal(0, (await engine.WaitAsync(id, "", Deadline.Token(30))).ExitCode);
        string initCaps = await initOut;
        await engine.RemoveAsync(id, Deadline.Token(30));

        foreach (string caps in new[] { initCaps, execCaps })
        {
            string[] lines = caps.Split('\n', StringSplitOptions.RemoveEmptyEntries);
            Assert.Equal(5, lines.Length);
            Assert.All(lines, line => Assert.Equal(0UL, Convert.ToUInt64(line.Split(':')[1].Trim(), 16)));
        }
    }

    public void Dispose()
    {
        _harness.Dispose();
        Directory.Delete(_dir, recursive: true);
    }
}
