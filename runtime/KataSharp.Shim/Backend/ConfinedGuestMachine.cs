using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using KataSharp.Confinement;
using KataSharp.Linux;
using KataSharp.Linux.Files;
using KataSharp.Linux.Processes;
using KataSharp.Linux.Sockets;
using KataSharp.Runtime.Configuration;
using KataSharp.Runtime.Logging;
using KataSharp.Runtime.Model;
using KataSharp.Runtime.Network;
using KataSharp.Runtime.Persistence;
using KataSharp.Runtime.Sandbox;
using KataSharp.Runtime.Telemetry;
using KataSharp.Shim.Memory;
using KataSharp.Vmm.Lifecycle;
using KataSharp.Vmm.Machine;
using KataSharp.Vmm.Vhost;
using KataSharp.Vmm.Virtio.Devices.Block;
using KataSharp.Vmm.Virtio.Devices.Vsock;

namespace KataSharp.Shim.Backend;

/// <summary>
/// The pod's microVM in a confined child process ([runtime] confine_vmm = true, the default): the shim starts its own
/// binary as `vmm` under util-linux unshare(1) (new mount, PID, IPC, UTS and network namespaces; unshare stays as the
/// PID namespace's parent and kills the VMM if it is killed), hands it the taps and a control channel as descriptors, and
/// talks to it only through those and the vsock unix socket in the VMM's root. The VMM builds the VM, pivots into that
/// empty root, becomes uid <c>vmm_uid_base + shim pid</c>, loads its seccomp filter and starts the vCPUs
/// (<see cref="VmmConfinement"/>). Media are opened here and passed as descriptors; the console and the VMM's log lines
/// come back on pipes. Everything the VMM sends is treated as hostile: bounded, escaped, checked.
/// </summary>
public sealed class ConfinedGuestMachine : IGuestVm
{
    public const string SpecName = "vmm.json";

    /// <summary>How long the VMM may take to build the VM and confine itself (guest RAM is allocated then).</summary>
    private static readonly TimeSpan ReadyTimeout = TimeSpan.FromSeconds(60);

    /// <summary>How long a media change may take (the VMM's own bound is 10 s per command).</summary>
    private static readonly TimeSpan CommandTimeout = TimeSpan.FromSeconds(30);

    /// <summary>A metrics request is answered from counters in memory; a scrape must not wait for a busy VMM.</summary>
    private static readonly TimeSpan MetricsTimeout = TimeSpan.FromSeconds(2);

    /// <summary>How long a stopping VMM gets before it is killed (vCPU and block-worker stops are bounded inside it).</summary>
    private static readonly TimeSpan StopTimeout = TimeSpan.FromSeconds(20);

    private const int MaxLogLineBytes = 4096;
    private const int MaxConsoleLineInErrors = 512;

    private readonly RuntimeLog _log;
    private readonly VmmChannel _channel;
    private readonly int _pid;
    private readonly string _root;
    private readonly string _specPath;
    private readonly uint _uid, _gid;
    private readonly GuestConsoleLog _console;
    private readonly ConsoleTail _tail = new();
    private readonly FileDescriptor _consoleRead, _logRead;
    private readonly Thread _consoleReader, _logReader;
    private readonly Thread _receiver;
    private readonly TaskCompletionSource<VmExit> _exited = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource<VmmMessage> _ready = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly VmmCommands _commands;
    private VmmMessage? _exitRecord;
    private int _disposed;
    private long _rejectedMetrics;

    private ConfinedGuestMachine(RuntimeLog log, VmmChannel channel, int pid, string root, string specPath, uint uid, uint gid,
        GuestConsoleLog console, FileDescriptor consoleRead, FileDescriptor logRead, int blockSlots)
    {
        _log = log;
        _channel = channel;
        _commands = new VmmCommands(channel, log.Drops);
        _pid = pid;
        _root = root;
        _specPath = specPath;
        _uid = uid;
        _gid = gid;
        _console = console;
        _consoleRead = consoleRead;
        _logRead = logRead;
        BlockSlotCount = blockSlots;
        VsockSocket = Path.Combine(root, ConfinedVmmProcess.VsockSocketName); // = SandboxPaths.VsockSocket
        _consoleReader = new Thread(CopyConsole) { Name = "vmm-console", IsBackground = true };
        _logReader = new Thread(CopyLog) { Name = "vmm-log", IsBackground = true };
        _receiver = new Thread(Receive) { Name = "vmm-channel", IsBackground = true };
        _consoleReader.Start();
        _logReader.Start();
        _receiver.Start();
    }

    /// <summary>The VMM process's pid (seen from the shim's PID namespace).</summary>
    public int ProcessId => _pid;

    public int BlockSlotCount { get; }

    public string VsockSocket { get; }

    public string KernelCmdline { get; private set; } = "";

    public Task<VmExit> Exited => _exited.Task;

    public void AgentLogConnected() => _console.AgentLogConnected();

    /// <summary>Starts the VMM process and waits until it has built the VM and confined itself (the vCPUs then run).</summary>
    /// <param name="vmmBinary">katasharp-sandbox-vmm: by default the one next to this shim (tests give the published one).</param>
    public static ConfinedGuestMachine Start(RuntimeConfiguration configuration, string stateDirectory, RuntimeLog log, IReadOnlyList<PodInterface> podInterfaces,
        string? vmmBinary = null)
    {
        HypervisorSettings hypervisor = configuration.Hypervisor;
        RuntimeSettings runtime = configuration.Runtime;
        string unshare = HostProgram.Require("unshare", "util-linux");
        string vmm = vmmBinary ?? SandboxVmmBinary();
        uint id = checked(runtime.VmmUidBase + (uint)Environment.ProcessId);
        string root = SandboxPaths.VmmRoot(stateDirectory);
        string specPath = Path.Combine(stateDirectory, SpecName);
        if (Directory.Exists(root))
        {
            Directory.Delete(root, recursive: true); // a previous VMM's sockets
        }
        Directory.CreateDirectory(root, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute | UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute);

        bool vhost = podInterfaces.Count > 0 && GuestMachine.ChooseNetDatapath(hypervisor.NetDatapath, log) == Vmm.Virtio.Devices.Net.NetDatapath.Vhost;
        var spec = new VmmProcessSpec
        {
            Build = BuildVersion.Current,
            Kernel = hypervisor.Kernel,
            Initrd = hypervisor.Initrd,
            Cmdline = GuestKernelCmdline.For(configuration),
            Vcpus = hypervisor.Vcpus,
            MemoryMib = hypervisor.MemoryMib,
            BlockSlots = hypervisor.BlockSlots,
            GuestCid = VsockOptions.DefaultGuestCid,
            Nets = [.. podInterfaces.Select((pod, i) => new VmmNetSpec($"net{i}", pod.GuestMacText, VmmDescriptors.FirstTap + i, pod.Mtu, vhost))],
            Root = root,
            Uid = id,
            Gid = id,
            Seccomp = runtime.VmmSeccomp.ToString().ToLowerInvariant(),
            TestHooks = TestHooks.Enabled,
        };
        File.WriteAllBytes(specPath, JsonSerializer.SerializeToUtf8Bytes(spec, VmmJsonContext.Default.VmmProcessSpec));

        var (shimEnd, vmmEnd) = SeqPacketSocket.CreatePair();
        var (consoleRead, consoleWrite) = Pipe.Create();
        var (logRead, logWrite) = Pipe.Create();
        var console = new GuestConsoleLog(log, GuestOutputLimits.Default, GuestMachine.ConsoleFile(runtime, stateDirectory, log));
        int pid;
        try
        {
            using FileDescriptor devNull = FileDescriptor.Open("/dev/null", (int)OpenFlags.ReadOnly);
            var descriptors = new List<(int, FileDescriptor)> { (0, devNull), (1, consoleWrite), (2, logWrite), (VmmDescriptors.Control, vmmEnd.Descriptor) };
            descriptors.AddRange(podInterfaces.Select((pod, i) => (VmmDescriptors.FirstTap + i, pod.Tap.Descriptor)));
            pid = ProcessSpawner.Spawn(unshare,
                [unshare, "--mount", "--pid", "--ipc", "--uts", "--net", "--fork", "--kill-child=SIGKILL", "--propagation", "private", "--", vmm, specPath],
                [$"{GcBudget.Variable}={GcBudget.Current}"], descriptors);
        }
        catch
        {
            shimEnd.Dispose();
            consoleRead.Dispose();
            logRead.Dispose();
            console.Dispose();
            throw;
        }
        finally
        {
            vmmEnd.Dispose();
            consoleWrite.Dispose();
            logWrite.Dispose();
        }
        log.Debug($"VMM process started: pid {pid} (unshare), uid/gid {id}, root {root}, seccomp {spec.Seccomp}");
        var machine = new ConfinedGuestMachine(log, new VmmChannel(shimEnd), pid, root, specPath, id, id, console, consoleRead, logRead, hypervisor.BlockSlots);
        machine.WaitUntilReady(configuration);
        return machine;
    }

    /// <summary>katasharp-sandbox-vmm next to this shim's binary (`katasharp install` puts them side by side).</summary>
    private static string SandboxVmmBinary()
    {
        string shim = Environment.ProcessPath ?? throw new RuntimeException(RuntimeError.Internal, "cannot tell where this shim's binary is, to find katasharp-sandbox-vmm next to it");
        string path = Path.Combine(Path.GetDirectoryName(shim) ?? "/", ConfinedVmmProcess.ProgramName);
        return File.Exists(path)
            ? path
            : throw new RuntimeException(RuntimeError.FailedPrecondition,
                $"the sandbox's VMM binary {path} is missing: install it next to the shim (`katasharp install`), or set confine_vmm = false in [runtime] for debugging");
    }

    private void WaitUntilReady(RuntimeConfiguration configuration)
    {
        VmmMessage? ready = null;
        try
        {
            Task.WaitAny([_ready.Task, _exited.Task], ReadyTimeout);
            ready = _ready.Task.IsCompletedSuccessfully ? _ready.Task.Result : null;
        }
        finally
        {
            if (ready is null || ready.Op != "ready")
            {
                string why = ready?.Error is { } error ? UntrustedText.Escape(error, UntrustedText.DefaultMaxLength)
                    : _exited.Task.IsCompleted ? _exited.Task.Result.Message
                    : $"it was not ready within {ReadyTimeout.TotalSeconds:0} s";
                bool usersSettings = ready?.Reason == nameof(Vmm.Errors.VmmFailure.BadConfiguration) && ready.Diagnostics is "VmConfigException" or "BootException";
                string key = ready?.Option is { } option ? $" ([hypervisor.katasharp] {GuestMachine.KeyFor(option)} in {configuration.SourcePath})" : "";
                Dispose();
                throw new RuntimeException(usersSettings ? RuntimeError.InvalidArgument : RuntimeError.Unavailable, $"cannot start the sandbox VM: {why}{key}");
            }
        }
        KernelCmdline = UntrustedText.Escape(ready.Cmdline ?? "", UntrustedText.DefaultMaxLength);
    }

    /// <summary>A stream to guest vsock port <paramref name="port"/> through the VMM's hybrid vsock socket ("CONNECT port").
    /// As the in-process connect, a port nothing listens on (yet) is a <see cref="VsockException"/>: the boot waits on it.</summary>
    public async Task<Stream> ConnectAsync(uint port, CancellationToken cancellationToken)
    {
        var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            await socket.ConnectAsync(new UnixDomainSocketEndPoint(VsockSocket), cancellationToken);
            await socket.SendAsync(Encoding.ASCII.GetBytes($"CONNECT {port}\n"), cancellationToken);
            // "OK <host port>\n", byte by byte so nothing of the stream after it is consumed; bounded.
            var line = new StringBuilder();
            byte[] one = new byte[1];
            while (true)
            {
                int n = await socket.ReceiveAsync(one, cancellationToken);
                if (n == 0)
                {
                    throw new VsockException($"guest vsock port {port} refused the connection (nothing listens there yet)");
                }
                if (one[0] == (byte)'\n')
                {
                    break;
                }
                if (line.Length >= MaxHandshakeAnswer)
                {
                    throw new VsockException($"the VMM's answer to CONNECT {port} is longer than {MaxHandshakeAnswer} bytes");
                }
                line.Append((char)one[0]);
            }
            if (!line.ToString().StartsWith("OK ", StringComparison.Ordinal))
            {
                throw new VsockException($"the VMM refused CONNECT {port}: {UntrustedText.Escape(line.ToString(), MaxHandshakeAnswer)}");
            }
            return new NetworkStream(socket, ownsSocket: true);
        }
        catch (SocketException e)
        {
            socket.Dispose();
            throw new VsockException($"cannot reach guest vsock port {port} through {VsockSocket}: {e.Message}", e);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    private const int MaxHandshakeAnswer = 32;

    public void InsertMedium(string slot, string path, string serial, bool readOnly)
    {
        FileDescriptor medium;
        try
        {
            medium = FileBlockBackend.OpenMedium(path, readOnly);
        }
        catch (BlockDeviceException e)
        {
            throw new RuntimeException(RuntimeError.Internal, $"cannot attach {path}: {e.Message}", e);
        }
        using (medium)
        {
            Command(new VmmMessage("insert") { Slot = slot, Serial = serial, ReadOnly = readOnly, Label = path }, medium, $"attach {path}");
        }
    }

    public void EjectMedium(string slot) => Command(new VmmMessage("eject") { Slot = slot }, null, $"empty {slot}");

    /// <summary>Test hook: asks the VMM to make a system call its filter refuses (only honoured with KATASHARP_TEST_HOOKS=1).</summary>
    public void MakeForbiddenSyscall() => _channel.Send(new VmmMessage("forbidden-syscall"));

    /// <summary>The VMM's own socket for guest connections to host port P is "&lt;VsockSocket&gt;_P": a listener the shim makes
    /// there must let the VMM's uid connect.</summary>
    public void AdmitHostSocket(string path) => Ownership.Change(path, _uid, _gid);

    /// <summary>The VMM process trims its memory (<see cref="KataSharp.Runtime.Memory.MemoryTrim"/>): a short wait like the metrics', never queued
    /// behind a media change.</summary>
    public void TrimMemory() => Command(new VmmMessage("trim"), null, "trim the VMM's memory", MetricsTimeout);

    /// <summary>The VMM's counters, checked (<see cref="VmmMetricsFilter"/>): what it got wrong is dropped and counted.</summary>
    public VmmMetricsReport Metrics()
    {
        VmmMessage reply = Command(new VmmMessage("metrics"), null, "read the VMM's metrics", MetricsTimeout);
        IReadOnlyList<MetricSample> samples = VmmMetricsFilter.Accept(reply.Metrics, out int rejected);
        long total = Interlocked.Add(ref _rejectedMetrics, rejected);
        // The VMM is unshare(1)'s child; its pid comes from the kernel, not from anything the VMM says.
        return new VmmMetricsReport(samples, total, Answered: true, ProcessStatus.FirstChild(_pid));
    }

    private VmmMessage Command(VmmMessage message, FileDescriptor? descriptor, string what, TimeSpan? timeout = null)
    {
        // The VM's end can be known (its "exit" record) before the process is reaped.
        if (_exited.Task.IsCompleted)
        {
            throw new RuntimeException(RuntimeError.Unavailable, $"cannot {what}: the VMM process is gone ({_exited.Task.Result.Message})");
        }
        // A metrics or trim request (timeout given) does not queue behind a media change: it would hold a pool thread the whole time.
        return _commands.Send(message, descriptor, what, timeout ?? CommandTimeout, queue: timeout is null);
    }

    /// <summary>The channel's reader: the ready/failed report, replies, the exit record; at its end, the process is reaped
    /// and the VM's end reported.</summary>
    private void Receive()
    {
        while (true)
        {
            VmmMessage? message;
            try
            {
                message = _channel.Receive(out FileDescriptor? descriptor);
                descriptor?.Dispose(); // the VMM never sends descriptors
            }
            catch (Exception e) when (e is InvalidDataException or LinuxException)
            {
                _log.Warn($"VMM control channel: {UntrustedText.Escape(e.Message, 256)}; the VMM is stopped");
                ProcessSignal.Send(_pid, ProcessSignal.SIGKILL);
                message = null;
            }
            if (message is null)
            {
                break;
            }
            switch (message.Op)
            {
                case "ready" or "failed":
                    _ready.TrySetResult(message);
                    break;
                case "reply":
                    _commands.Deliver(message);
                    break;
                case "exit":
                    // Reported at once, before the VMM closes the vsock connections (it waits for our stop): the VM's end
                    // must reach the backend before the agent's streams end. A VMM that lies here only mislabels its own
                    // sandbox's death; it is stopped (and killed if need be) all the same.
                    _exitRecord = message;
                    _exited.TrySetResult(ExitFrom(message, ChildStatus.Exited(_pid, 0)));
                    break;
            }
        }
        ChildStatus status = ChildWait.Reap(_pid);
        _exited.TrySetResult(ExitFrom(_exitRecord, status));
        _commands.Gone(_exited.Task.Result.Message);
        _ready.TrySetResult(new VmmMessage("failed") { Error = ExitFrom(null, status).Message });
    }

    /// <summary>The VM's end: the VMM's own report when it made one and exited cleanly, else what the process's end says.</summary>
    internal static VmExit ExitFrom(VmmMessage? record, ChildStatus status)
    {
        if (record is not null && status.Signal == 0 && Enum.TryParse(record.Reason, out VmExitReason reason) && Enum.IsDefined(reason))
        {
            return new VmExit(reason, UntrustedText.Escape(record.Error ?? "", UntrustedText.DefaultMaxLength),
                record.Diagnostics is { } d ? UntrustedText.EscapeLines(d, 4096) : null);
        }
        string what = status.Signal switch
        {
            SeccompKillSignal => "the VMM process was killed by its seccomp filter (SIGSYS): it made a system call outside its allowlist " +
                "(a compromised device model, or a call the allowlist lacks: [runtime] vmm_seccomp = \"log\" lists them in the kernel log, audit type 1326)",
            0 => $"the VMM process exited with {status.Status} without reporting the VM's end",
            int signal => $"the VMM process was killed by signal {signal}",
        };
        return new VmExit(VmExitReason.VmmError, what);
    }

    private const int SeccompKillSignal = 31; // SIGSYS

    private void CopyConsole()
    {
        byte[] buffer = new byte[4096];
        int n;
        while ((n = _consoleRead.Read(buffer)) > 0)
        {
            _console.Write(buffer.AsSpan(0, n));
            for (int i = 0; i < n; i++)
            {
                _tail.Append(buffer[i]);
            }
        }
    }

    private void CopyLog()
    {
        byte[] buffer = new byte[4096];
        var line = new List<byte>(256);
        int n;
        while ((n = _logRead.Read(buffer)) > 0)
        {
            for (int i = 0; i < n; i++)
            {
                if (buffer[i] == (byte)'\n')
                {
                    _log.Debug($"vmm: {UntrustedText.Escape(Encoding.UTF8.GetString(line.ToArray()), MaxLogLineBytes)}");
                    line.Clear();
                }
                else if (line.Count < MaxLogLineBytes)
                {
                    line.Add(buffer[i]);
                }
            }
        }
    }

    public string ConsoleTail(int lines)
    {
        string tail = _tail.LastLines(lines);
        return tail.Length == 0 ? "(the guest printed nothing on its console)" : UntrustedText.EscapeLines(tail, MaxConsoleLineInErrors);
    }

    /// <summary>Stops the VM (asks, then kills after <see cref="StopTimeout"/>), reaps the process and removes its root.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }
        try
        {
            try
            {
                _channel.Send(new VmmMessage("stop") { Error = "the sandbox is shutting down" });
            }
            catch (LinuxException)
            {
                // Already gone.
            }
            if (!_exited.Task.Wait(StopTimeout))
            {
                _log.Warn($"the VMM process (pid {_pid}) did not stop within {StopTimeout.TotalSeconds:0} s: killed");
                ProcessSignal.Send(_pid, ProcessSignal.SIGKILL);
                _exited.Task.Wait(StopTimeout);
            }
            _receiver.Join(StopTimeout);
            _consoleReader.Join(StopTimeout);
            _logReader.Join(StopTimeout);
        }
        finally
        {
            _channel.Dispose();
            _consoleRead.Dispose();
            _logRead.Dispose();
            _console.Dispose();
            try
            {
                Directory.Delete(_root, recursive: true);
                File.Delete(_specPath);
            }
            catch (IOException e)
            {
                _log.Warn($"cannot remove the VMM's root {_root}: {e.Message}");
            }
        }
    }
}
