using System.Net.Sockets;

namespace KataSharp.TestHost.Machine;

/// <summary>
/// The L1: QEMU TCG started through the guard, its virtio-serial control port connected to a
/// Unix socket we listen on (QEMU connects at startup, before the guest runs, so nothing the
/// agent sends can be lost), its serial console in the run directory.
/// </summary>
internal sealed class NestedMachine : IHostMachine
{
    private readonly GuardedProcess qemu;
    private readonly Socket connection;
    private readonly NetworkStream stream;
    private readonly RunDirectory run;

    private NestedMachine(GuardedProcess qemu, Socket connection, RunDirectory run)
    {
        this.qemu = qemu;
        this.connection = connection;
        this.run = run;
        stream = new NetworkStream(connection, ownsSocket: false);
    }

    public TestHostMode Mode => TestHostMode.Nested;

    public Stream FromAgent => stream;

    public Stream ToAgent => stream;

    public Task Exited => qemu.Exited;

    public string Description => $"QEMU pid {qemu.ChildPid}";

    public int ProcessId => qemu.ChildPid;

    public static async Task<NestedMachine> StartAsync(string guardScript, IReadOnlyList<string> qemuArguments,
        RunDirectory run, CancellationToken ct)
    {
        using var listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        listener.Bind(new UnixDomainSocketEndPoint(run.ControlSocket));
        listener.Listen(1);
        GuardedProcess qemu = await GuardedProcess.StartAsync(
            guardScript, run.MachineLog, [QemuArguments.Binary, .. qemuArguments], ct).ConfigureAwait(false);
        try
        {
            using var acceptCancel = CancellationTokenSource.CreateLinkedTokenSource(ct);
            Task<Socket> accept = listener.AcceptAsync(acceptCancel.Token).AsTask();
            if (await Task.WhenAny(accept, qemu.Exited).ConfigureAwait(false) != accept)
            {
                acceptCancel.Cancel();
                throw new TestHostException(TestHostError.StartFailed,
                    $"QEMU exited before connecting its control port:\n{ConsoleLog.Tail(run.MachineLog, 20)}");
            }
            return new NestedMachine(qemu, await accept.ConfigureAwait(false), run);
        }
        catch
        {
            qemu.Dispose();
            throw;
        }
    }

    public string ConsoleTail(int lines) => ConsoleLog.Tail(run.ConsoleLog, lines);

    public string MachineLogTail(int lines) => ConsoleLog.Tail(run.MachineLog, lines);

    public void Kill() => qemu.Kill();

    public void Dispose()
    {
        qemu.Dispose();
        stream.Dispose();
        connection.Dispose();
    }
}
