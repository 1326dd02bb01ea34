using KataSharp.Agent.Engine.Io;
using KataSharp.Agent.Engine.Spawning;
using KataSharp.Agent.Tests.Support;
using KataSharp.AgentCtl.Scenarios;
using KataSharp.Linux;
using KataSharp.Linux.Files;
using KataSharp.Linux.Memory;
using KataSharp.Linux.Processes;
using Xunit;

namespace KataSharp.Agent.Tests.Native;

/// <summary>
/// The CVE-2019-5736 class: a container process that reaches ks-spawn's file through /proc/PID/exe
/// (of ks-spawn, or of the container's own process before execve, which is a ks-spawn clone) must not
/// be able to change the helper the agent runs as guest root.
/// </summary>
public sealed class SpawnHelperExeTests
{
    private const MemFdSeals Immutable = MemFdSeals.Write | MemFdSeals.Shrink | MemFdSeals.Grow | MemFdSeals.Seal;

    [Fact]
    public async Task TheContainerProcessBeforeExecve_RunsASealedCopy_ThatCannotBeWrittenThroughProcExe()
    {
        using var harness = new EngineHarness();
        string id = $"exe{Guid.NewGuid():N}"[..12];
        await harness.CreateAsync(id, OciSpecs.Create("sleep", "1000"));
        int pid = harness.Engine.GetProcess(id, "").Pid; // created, not started: ks-spawn's clone waits for the start byte

        // What an attacker keeps: a handle on the file behind /proc/PID/exe.
        using FileDescriptor exe = FileDescriptor.Open($"/proc/{pid}/exe", (int)OpenFlags.Path);
        using (FileDescriptor readable = FileDescriptor.Open($"/proc/self/fd/{exe.Value}", (int)OpenFlags.ReadOnly))
        {
            Assert.Equal(Immutable, MemFd.Seals(readable) & Immutable); // the old helper ran from its file: F_GET_SEALS is EINVAL
        }

        // Once the process has exec'd its program nothing executes that file (no ETXTBSY to hide behind).
        await harness.Engine.StartAsync(id, Deadline.Token(30));
        CancellationToken deadline = Deadline.Token(30);
        while (File.ResolveLinkTarget($"/proc/{pid}/exe", false)?.FullName.Contains("memfd:") != false)
        {
            await Task.Delay(20, deadline);
        }
        byte[] first = new byte[1];
        using (FileDescriptor readable = FileDescriptor.Open($"/proc/self/fd/{exe.Value}", (int)OpenFlags.ReadOnly))
        {
            Assert.Equal(1, readable.ReadAt(first, 0));
        }
        Assert.ThrowsAny<LinuxException>(() =>
        {
            using FileDescriptor writable = FileDescriptor.Open($"/proc/self/fd/{exe.Value}", (int)OpenFlags.WriteOnly);
            writable.WriteAllAt(first, 0); // the same byte: harmless even where it gets through
        });

        harness.Engine.Signal(id, "", 9, all: false);
        await harness.Engine.WaitAsync(id, "", Deadline.Token(30));
        await harness.Engine.RemoveAsync(id, Deadline.Token(30));
    }

    /// <summary>As after the "#!/proc/self/exe" trick: ks-spawn started with a container's credentials
    /// (uid 65534, no capabilities), where the kernel would leave it dumpable and so open to every
    /// process of that user. Non-dumpable, its /proc/PID files belong to root (the directory keeps the euid).</summary>
    [Fact]
    public async Task KsSpawn_MakesItselfNonDumpable_EvenUnderAContainersCredentials()
    {
        var plan = new PlanWriter();
        plan.U32(SpawnProtocol.Tag.Mode, SpawnProtocol.Mode.Create);
        plan.U64(SpawnProtocol.Tag.CloneFlags, 0);
        plan.Text(SpawnProtocol.Tag.Arg, "/bin/true");
        byte[] bytes = plan.ToArray();
        using FileDescriptor planFd = MemFd.Create("plan", (ulong)bytes.Length);
        planFd.WriteAllAt(bytes, 0);
        using FileDescriptor devNull = FileDescriptor.Open("/dev/null", (int)OpenFlags.ReadWrite);
        (FileDescriptor statusRead, FileDescriptor statusWrite) = Pipe.Create(nonBlockingRead: true);
        (FileDescriptor startRead, FileDescriptor startWrite) = Pipe.Create();
        using var poller = new FdPoller();
        int helper, child = 0;
        using (statusRead)
        using (startWrite)
        {
            using (statusWrite)
            using (startRead)
            {
                helper = ProcessSpawner.Spawn("/usr/bin/setpriv",
                    ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "--inh-caps=-all", "--bounding-set=-all", "--", Repository.SpawnHelper], [],
                    [(0, devNull), (1, devNull), (2, devNull), (SpawnProtocol.PlanFd, planFd), (SpawnProtocol.StatusFd, statusWrite), (SpawnProtocol.StartFd, startRead)]);
            }
            try
            {
                SpawnReport report = await SpawnReport.ReadAsync(poller, statusRead, untilEof: false, Deadline.Token(30));
                Assert.Null(report.Failure);
                Assert.True(report.Ready, "ks-spawn's clone did not report ready");
                child = report.Pid!.Value;

                Assert.Contains("Uid:\t65534\t65534\t65534\t65534", File.ReadAllText($"/proc/{child}/status"));
                CommandResult owner = Commands.Run("stat", "-c", "%u", $"/proc/{child}/status");
                Assert.Equal("0", owner.Stdout.Trim()); // dumpable, it would be 65534's
            }
            finally
            {
                poller.Forget(statusRead);
            }
        } // the start pipe closes: the clone exits without exec

        foreach (int pid in new[] { helper, child }.Where(p => p > 0))
        {
            CancellationToken deadline = Deadline.Token(30);
            while (ChildWait.TryReap(pid) is null)
            {
                await Task.Delay(10, deadline);
            }
        }
    }
}
