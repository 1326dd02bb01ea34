using System.Diagnostics;
using KataSharp.TestHost.Build;
using KataSharp.TestHost.Machine;
using KataSharp.TestHost.Modes;
using KataSharp.TestHost.Protocol;

namespace KataSharp.TestHost;

/// <summary>
/// A machine with a real /dev/kvm that runs shell commands for tests: an L1 guest (QEMU TCG with
/// AMD SVM, booted once, serving many commands concurrently) or, on a machine with hardware
/// virtualization, this machine itself (<see cref="Mode"/> says which). Host paths are visible
/// in L1 at the same paths (read-only, with a throw-away tmpfs overlay); commands run as root.
/// Only one test host runs on a machine at a time (a machine-wide lock; a second one waits).
/// Dispose always ends the machine; so does the death of this process.
/// </summary>
public sealed class NestedTestHost : IAsyncDisposable
{
    private const int ConsoleLinesInErrors = 60;

    private readonly TestHostOptions options;
    private readonly MachineLock machineLock;
    private readonly RunDirectory run;
    private readonly IHostMachine machine;
    private readonly CommandSpool spool;
    private readonly AgentConnection agent;
    private readonly TestHostLifecycle lifecycle = new();
    private readonly EventHandler killOnProcessExit;

    private NestedTestHost(TestHostOptions options, MachineLock machineLock, RunDirectory run, IHostMachine machine)
    {
        this.options = options;
        this.machineLock = machineLock;
        this.run = run;
        this.machine = machine;
        spool = new CommandSpool(run.Spool);
        agent = new AgentConnection(machine.FromAgent, machine.ToAgent, DescribeLoss);
        killOnProcessExit = (_, _) => machine.Kill();
        AppDomain.CurrentDomain.ProcessExit += killOnProcessExit;
        _ = machine.Exited.ContinueWith(_ =>
        {
            lifecycle.TryMove(TestHostState.Failed);
            agent.Lose(stopReason?.Reason ?? $"{machine.Description} exited");
        }, TaskScheduler.Default);
    }

    /// <summary>Why the host stopped a machine that will not recover (a dead kernel, a stall); the first reason wins.</summary>
    private sealed record StopReason(TestHostError Error, string Reason);

    private volatile StopReason? stopReason;

    /// <summary>Ends the heartbeat when the host is disposed (never disposed itself: the heartbeat may still hold its token; it has no timer).</summary>
    private readonly CancellationTokenSource stopWatching = new();

    /// <summary>
    /// The machine will not recover: the first caller records why, fails every waiting command with
    /// that reason at once (not when the killed machine's exit is noticed), and kills the machine.
    /// </summary>
    private void StopBroken(TestHostError error, string reason)
    {
        if (!TryRecordStopReason(error, reason))
        {
            return;
        }
        options.Log($"{reason}; stopping it");
        lifecycle.TryMove(TestHostState.Failed);
        agent.Lose(reason);
        machine.Kill();
    }

    private bool TryRecordStopReason(TestHostError error, string reason) =>
        Interlocked.CompareExchange(ref stopReason, new StopReason(error, reason), null) is null;

    /// <summary>
    /// The error every waiting command gets when the channel to the machine is lost. L1 reboots at once on a panic
    /// (<c>panic=-1</c>) and QEMU then exits (<c>-no-reboot</c>), so the channel usually closes before
    /// <see cref="WatchKernelAsync"/> looks at the console again: the console is read here too, and a dead kernel
    /// is named as the reason (and may earn the command its rerun) instead of "the channel closed" (CI, 2026-12-04:
    /// an IRQ-stack overflow in L1 at 668 s reached the tests as a closed channel, so no rerun).
    /// </summary>
    private TestHostException DescribeLoss(string reason)
    {
        if (stopReason is null && KernelFailureReason(machine.ConsoleTail(KernelFailureConsoleLines)) is { } dead)
        {
            TryRecordStopReason(TestHostError.KernelFailed, dead);
        }
        StopReason? stop = stopReason;
        string text = stop is null || stop.Reason == reason ? reason : $"{stop.Reason} ({reason})";
        return new TestHostException(stop?.Error ?? TestHostError.MachineExited, text + FailureContext());
    }

    /// <summary>How much of the console's end is searched for a dead kernel.</summary>
    private const int KernelFailureConsoleLines = 400;

    /// <summary>Why the machine is gone if its console shows a dead kernel (also sets <see cref="KernelFailedOfEmulatorCrash"/>), else null.</summary>
    private string? KernelFailureReason(string consoleTail)
    {
        if (KernelFailure.Find(consoleTail) is not string line)
        {
            return null;
        }
        KernelFailedOfEmulatorCrash = KernelFailure.IsEmulatorStackOverflow(consoleTail);
        return $"{machine.Description} was stopped: its kernel failed ({line})"
            + (KernelFailedOfEmulatorCrash ? " [a kernel stack overflow: the emulator's crash, README \"Known limits\"]" : "");
    }

    /// <summary>How often the console is read for a dead kernel while the machine is up.</summary>
    private static readonly TimeSpan ConsoleCheckInterval = TimeSpan.FromSeconds(5);

    /// <summary>
    /// While the machine runs: a panicked or locked-up L1 kernel ends the machine at once, so the
    /// running command fails now with the console showing why, instead of at its own timeout.
    /// </summary>
    private async Task WatchKernelAsync()
    {
        while (!machine.Exited.IsCompleted)
        {
            await Task.WhenAny(machine.Exited, Task.Delay(ConsoleCheckInterval)).ConfigureAwait(false);
            if (machine.Exited.IsCompleted)
            {
                return; // a machine that is gone is judged once, when its loss is described (DescribeLoss)
            }
            if (lifecycle.State != TestHostState.Ready)
            {
                continue;
            }
            if (KernelFailureReason(machine.ConsoleTail(KernelFailureConsoleLines)) is { } dead)
            {
                StopBroken(TestHostError.KernelFailed, dead);
                return;
            }
        }
    }

    /// <summary>
    /// While the machine runs: PING/PONG over the control channel. A machine that stops answering
    /// (L1 frozen under TCG: idle CPUs, nothing on its console, so <see cref="WatchKernelAsync"/> sees
    /// nothing) is stopped at once and the running command fails with that reason instead of at its
    /// own timeout.
    /// </summary>
    private async Task WatchHeartbeatAsync()
    {
        var heartbeat = new AgentHeartbeat(agent, options.HeartbeatInterval, options.HeartbeatTimeout);
        if (await heartbeat.WatchAsync(stopWatching.Token).ConfigureAwait(false) is { } stall
            && lifecycle.State == TestHostState.Ready)
        {
            StopBroken(TestHostError.MachineStalled,
                $"{machine.Description} was stopped: it stalled, {stall.Describe()} "
                + $"(raise {TestHostOptions.HeartbeatTimeoutVariable} if it was only slow)");
        }
    }

    /// <summary>True when the machine was stopped because L1's kernel died of the emulator's crash (a kernel stack overflow)
    /// (<see cref="KernelFailure.IsEmulatorStackOverflow"/>), not of anything else.</summary>
    public bool KernelFailedOfEmulatorCrash { get; private set; }

    /// <summary>True once the machine died or the channel broke: this host runs nothing more.</summary>
    public bool HasFailed => lifecycle.State == TestHostState.Failed;

    /// <summary>Nested (inside L1) or Direct (on this machine).</summary>
    public TestHostMode Mode => machine.Mode;

    /// <summary>For the library's own tests: the machine underneath.</summary>
    internal IHostMachine Machine => machine;

    /// <summary>From starting the machine to the agent's READY (excludes building and waiting for the lock).</summary>
    public TimeSpan BootTime { get; private set; }

    /// <summary>
    /// Builds what is missing (L1 kernel and initramfs, with progress on stderr), takes the
    /// machine-wide lock (saying so while it waits), boots and waits until commands can run.
    /// </summary>
    public static Task<NestedTestHost> StartAsync(CancellationToken ct = default) =>
        StartAsync(TestHostOptions.FromEnvironment(), ct);

    internal static async Task<NestedTestHost> StartAsync(TestHostOptions options, CancellationToken ct)
    {
        ModeDecision decision = ModeDetector.Decide(options.Facts);
        options.Log($"mode {decision.Mode}: {decision.Reason}");
        L1Artifacts? l1 = decision.Mode == TestHostMode.Nested
            ? await L1Artifacts.BuildAsync(options.Layout, options.Log, ct).ConfigureAwait(false)
            : null;
        MachineLock machineLock = await MachineLock.AcquireAsync(options.LockPath, options.Log, ct).ConfigureAwait(false);
        RunDirectory? run = null;
        IHostMachine? machine = null;
        NestedTestHost? host = null;
        try
        {
            run = RunDirectory.Create(options.Layout.TestHostCache);
            var clock = Stopwatch.StartNew();
            machine = l1 is null
                ? DirectMachine.Start(options.Layout.AgentScript, run)
                : await NestedMachine.StartAsync(options.Layout.GuardScript,
                    QemuArguments.Build(l1.Kernel, l1.Initramfs, options.Layout.AgentScript, run.Spool, run.ConsoleLog, run.ControlSocket, options.L1),
                    run, ct).ConfigureAwait(false);
            options.Log($"started {machine.Description} (console: {run.ConsoleLog}); waiting up to {options.BootTimeout.TotalSeconds:F0}s for its agent");
            host = new NestedTestHost(options, machineLock, run, machine);
            await host.WaitUntilReadyAsync(clock, ct).ConfigureAwait(false);
            return host;
        }
        catch
        {
            if (host is not null)
            {
                await host.DisposeAsync().ConfigureAwait(false);
            }
            else
            {
                machine?.Dispose();
                run?.Dispose();
                machineLock.Dispose();
            }
            throw;
        }
    }

    /// <summary>
    /// Runs <paramref name="shellCommand"/> with bash, as root, in its own session, in the
    /// caller's working directory (or / when it does not exist there), stdin from /dev/null.
    /// A non-zero exit is a result, not an exception (see <see cref="CommandResult.EnsureSuccess"/>).
    /// Past <paramref name="timeout"/> the command's session and process group are SIGKILLed and
    /// <see cref="TestHostException"/> (CommandTimedOut) is thrown with its output so far and the
    /// console tail; cancelling <paramref name="ct"/> kills it the same way. Safe to call concurrently.
    /// </summary>
    public Task<CommandResult> RunAsync(string shellCommand, TimeSpan timeout, CancellationToken ct = default) =>
        RunAsync(shellCommand, timeout, liveOutput: null, ct);

    /// <summary>
    /// As <see cref="RunAsync(string, TimeSpan, CancellationToken)"/>, and while the command runs its output is also
    /// handed to <paramref name="liveOutput"/> as it grows (looked at every <see cref="LiveOutputInterval"/>; all of it
    /// by the time this returns or throws): a human watching a long command sees its progress, not silence until its
    /// end. Within one look stdout comes before stderr, so a command whose two streams must stay in order writes both
    /// to one (2>&amp;1). The result still holds the whole output.
    /// </summary>
    public async Task<CommandResult> RunAsync(string shellCommand, TimeSpan timeout, Action<CommandStream, ReadOnlyMemory<byte>>? liveOutput,
        CancellationToken ct = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(shellCommand);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(timeout, TimeSpan.Zero);
        if (lifecycle.State != TestHostState.Ready)
        {
            throw new TestHostException(TestHostError.NotReady,
                $"the test host is {lifecycle.State}, so it cannot run: {shellCommand}{FailureContext()}");
        }
        string id = CommandId.Next();
        spool.Prepare(id, CommandScript.Build(shellCommand, Environment.CurrentDirectory, Environment.GetEnvironmentVariable));
        var clock = Stopwatch.StartNew();
        Task<int> done = agent.Expect(id);
        CommandOutputFollower? follower = liveOutput is null ? null : spool.Follow(id, liveOutput);
        using var stopFollowing = new CancellationTokenSource();
        Task following = follower is null ? Task.CompletedTask : FollowAsync(follower, stopFollowing.Token);
        try
        {
            await agent.SendAsync(HostMessage.Run(id), ct).ConfigureAwait(false);
            using var limit = CancellationTokenSource.CreateLinkedTokenSource(ct);
            limit.CancelAfter(timeout);
            int exitCode;
            try
            {
                exitCode = await done.WaitAsync(limit.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (!done.IsCompleted)
            {
                throw await KillAsync(id, shellCommand, done, timeout, clock.Elapsed, ct).ConfigureAwait(false);
            }
            catch (TestHostException e) when (e.Error is TestHostError.MachineExited or TestHostError.KernelFailed or TestHostError.MachineStalled)
            {
                var (soFar, errSoFar) = spool.ReadOutput(id);
                throw new TestHostException(e.Error, $"command could not finish: {shellCommand}\n{e.Message}"
                    + CommandResult.Section("stdout so far", soFar) + CommandResult.Section("stderr so far", errSoFar), e);
            }
            var (stdout, stderr) = spool.ReadOutput(id);
            if (stopReason is { } broken)
            {
                // The kill that stopped the machine can end the command first (Direct mode: the
                // agent reports its killed child): that exit code is the kill's, not the command's.
                throw new TestHostException(broken.Error,
                    $"command could not finish: {shellCommand}\n{broken.Reason} (the command ended with exit code {exitCode})"
                    + CommandResult.Section("stdout", stdout) + CommandResult.Section("stderr", stderr) + FailureContext());
            }
            if (lifecycle.State is TestHostState.Stopping or TestHostState.Stopped)
            {
                throw new TestHostException(TestHostError.MachineExited,
                    $"the test host was shut down while this command ran (it ended with exit code {exitCode}): {shellCommand}"
                    + CommandResult.Section("stdout", stdout) + CommandResult.Section("stderr", stderr));
            }
            return new CommandResult(exitCode, stdout, stderr, clock.Elapsed)
            {
                Command = shellCommand,
                ConsoleTailAtExit = exitCode == 0 ? "" : ConsoleTail(ConsoleLinesInErrors),
            };
        }
        finally
        {
            // The last of the output before the spool goes: the follower has stopped looking, so this pump is alone.
            await stopFollowing.CancelAsync().ConfigureAwait(false);
            await following.ConfigureAwait(false);
            follower?.Pump();
            agent.Forget(id);
            spool.Remove(id);
        }
    }

    /// <summary>How often live output is looked for: a person sees progress at once, and the files are read a few times a second.</summary>
    public static readonly TimeSpan LiveOutputInterval = TimeSpan.FromMilliseconds(200);

    private static async Task FollowAsync(CommandOutputFollower follower, CancellationToken stop)
    {
        while (!stop.IsCancellationRequested)
        {
            follower.Pump();
            try
            {
                await Task.Delay(LiveOutputInterval, stop).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    /// <summary>The last lines of the machine's console (L1's serial console; in Direct mode, the agent's log).</summary>
    public string ConsoleTail(int lines = 60) => machine.ConsoleTail(lines);

    public async ValueTask DisposeAsync()
    {
        if (!lifecycle.TryMove(TestHostState.Stopping))
        {
            return;
        }
        stopWatching.Cancel();
        try
        {
            await agent.SendAsync(HostMessage.Shutdown, CancellationToken.None).ConfigureAwait(false);
            await machine.Exited.WaitAsync(options.KillGrace).ConfigureAwait(false);
        }
        catch (Exception e) when (e is TestHostException or TimeoutException)
        {
            options.Log($"{machine.Description} did not shut down by itself ({e.GetType().Name}); killing it");
        }
        machine.Dispose();
        try
        {
            await machine.Exited.WaitAsync(options.KillGrace).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            options.Log($"warning: {machine.Description} still runs {options.KillGrace.TotalSeconds:F0}s after SIGKILL");
        }
        AppDomain.CurrentDomain.ProcessExit -= killOnProcessExit;
        run.Dispose();
        machineLock.Dispose();
        lifecycle.Move(TestHostState.Stopped);
        options.Log($"stopped {machine.Description}");
    }

    private async Task WaitUntilReadyAsync(Stopwatch clock, CancellationToken ct)
    {
        using var bootLimit = CancellationTokenSource.CreateLinkedTokenSource(ct);
        bootLimit.CancelAfter(options.BootTimeout);
        Task timer = Task.Delay(Timeout.Infinite, bootLimit.Token);
        Task first = await Task.WhenAny(agent.Ready, timer).ConfigureAwait(false);
        ct.ThrowIfCancellationRequested();
        if (first != agent.Ready)
        {
            throw new TestHostException(TestHostError.BootTimedOut,
                $"{machine.Description} did not report READY within {options.BootTimeout.TotalSeconds:F0}s "
                + $"(raise {TestHostOptions.BootTimeoutVariable} on a slow machine){FailureContext()}");
        }
        string release = await agent.Ready.ConfigureAwait(false);
        BootTime = clock.Elapsed;
        lifecycle.Move(TestHostState.Ready);
        _ = WatchKernelAsync();
        _ = WatchHeartbeatAsync();
        options.Log($"ready in {BootTime.TotalSeconds:F1}s: {machine.Description}, mode {Mode}, kernel {release}");
    }

    private async Task<Exception> KillAsync(string id, string shellCommand, Task<int> done, TimeSpan timeout, TimeSpan elapsed, CancellationToken ct)
    {
        string confirmation;
        try
        {
            await agent.SendAsync(HostMessage.Kill(id), CancellationToken.None).ConfigureAwait(false);
            int exit = await done.WaitAsync(options.KillGrace).ConfigureAwait(false);
            confirmation = $"killed (exit code {exit})";
            // The agent's own line about the kill travels on the console, not on the control
            // channel, so it can trail DONE: wait for it so the console tail shows the kill.
            await WaitForConsoleLineAsync($"killed command {id} ", options.KillGrace).ConfigureAwait(false);
        }
        catch (Exception e) when (e is TestHostException or TimeoutException)
        {
            confirmation = $"the kill was not confirmed within {options.KillGrace.TotalSeconds:F0}s ({e.Message.Split('\n')[0]})";
        }
        var (stdout, stderr) = spool.ReadOutput(id);
        string output = CommandResult.Section("stdout so far", stdout) + CommandResult.Section("stderr so far", stderr);
        if (ct.IsCancellationRequested)
        {
            return new OperationCanceledException($"cancelled after {elapsed.TotalSeconds:F1}s, {confirmation}: {shellCommand}{output}", null, ct);
        }
        return new TestHostException(TestHostError.CommandTimedOut,
            $"command timed out after {timeout.TotalSeconds:F0}s, {confirmation}: {shellCommand}{output}{FailureContext()}");
    }

    private async Task WaitForConsoleLineAsync(string text, TimeSpan limit)
    {
        var clock = Stopwatch.StartNew();
        while (!machine.ConsoleTail(ConsoleLinesInErrors).Contains(text, StringComparison.Ordinal) && clock.Elapsed < limit)
        {
            await Task.Delay(TimeSpan.FromMilliseconds(100)).ConfigureAwait(false);
        }
    }

    private string FailureContext()
    {
        string context = $"\n--- {Mode} console (last {ConsoleLinesInErrors} lines) ---\n{machine.ConsoleTail(ConsoleLinesInErrors)}";
        string machineLog = machine.MachineLogTail(20);
        return machineLog.Trim().Length > 0 && !machineLog.StartsWith("(no console log", StringComparison.Ordinal)
            ? context + $"\n--- {machine.Description} output ---\n{machineLog}"
            : context;
    }
}
