using System.Text.Json.Nodes;
using KataSharp.Agent.Tests.Support;
using KataSharp.AgentCtl.Scenarios;
using Xunit;

namespace KataSharp.Agent.Tests.Engine;

/// <summary>What a container process sees from inside: ids, capabilities, limits, cwd, env, hostname, isolation.</summary>
public sealed class ProcessAttributesTests : IDisposable
{
    private readonly EngineHarness _harness = new();

    private Task<(int ExitCode, string Stdout, string Stderr)> Sh(string script, Action<JsonObject>? edit = null)
    {
        JsonObject spec = OciSpecs.Create("sh", "-c", script);
        edit?.Invoke(spec);
        return _harness.RunAsync($"c{Guid.NewGuid():N}"[..12], spec);
    }

    [Fact]
    public async Task UserGroupAndAdditionalGids_AreApplied()
    {
        var (code, stdout, _) = await Sh("id -u; id -g; id -G", spec =>
            spec["process"]!["user"] = new JsonObject { ["uid"] = 1234, ["gid"] = 2345, ["additionalGids"] = new JsonArray(7, 8) });
        Assert.Equal(0, code);
        Assert.Equal(["1234", "2345", "2345 7 8"], stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries));
    }

    [Fact]
    public async Task Username_IsResolvedInTheContainersPasswd()
    {
        var (code, stdout, _) = await Sh("id -u; id -g", spec =>
            spec["process"]!["user"] = new JsonObject { ["username"] = "tester" });
        Assert.Equal(0, code);
        Assert.Equal([$"{BusyboxRootfs.TestUid}", $"{BusyboxRootfs.TestGid}"], stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries));
    }

    [Fact]
    public async Task Capabilities_MatchTheSpec_InStatus()
    {
        var (code, stdout, _) = await Sh("grep -E '^(CapEff|CapBnd|CapPrm|CapInh|CapAmb|NoNewPrivs):' /proc/self/status", spec =>
            spec["process"]!["capabilities"] = new JsonObject
            {
                ["bounding"] = new JsonArray("CAP_CHOWN", "CAP_KILL", "CAP_NET_BIND_SERVICE"),
                ["effective"] = new JsonArray("CAP_CHOWN", "CAP_KILL"),
                ["permitted"] = new JsonArray("CAP_CHOWN", "CAP_KILL"),
            });
        Assert.Equal(0, code);
        var fields = stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.Split(':')).ToDictionary(p => p[0], p => p[1].Trim());
        const ulong chown = 1UL << 0, kill = 1UL << 5, bind = 1UL << 10;
        Assert.Equal(chown | kill, Convert.ToUInt64(fields["CapEff"], 16));
        Assert.Equal(chown | kill, Convert.ToUInt64(fields["CapPrm"], 16));
        Assert.Equal(chown | kill | bind, Convert.ToUInt64(fields["CapBnd"], 16));
        Assert.Equal(0UL, Convert.ToUInt64(fields["CapInh"], 16));
        Assert.Equal("1", fields["NoNewPrivs"]);
    }

    [Fact]
    public async Task RlimitsCwdEnvUmaskAndHostname_AreApplied()
    {
        var (code, stdout, _) = await Sh("ulimit -n; ulimit -Hn; pwd; echo $GREETING; umask; hostname", spec =>
        {
            JsonObject process = spec["process"]!.AsObject();
            process["rlimits"] = new JsonArray(new JsonObject { ["type"] = "RLIMIT_NOFILE", ["soft"] = 321, ["hard"] = 654 });
            process["cwd"] = "/tmp";
            process["env"]!.AsArray().Add((JsonNode)"GREETING=hello there");
            process["user"]!["umask"] = 0x17; // 027
            spec["hostname"] = "attr-test";
        });
        Assert.Equal(0, code);
        Assert.Equal(["321", "654", "/tmp", "hello there", "0027", "attr-test"], stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries));
    }

    [Fact]
    public async Task PidNamespace_MakesTheContainerInitPid1()
    {
        var (code, stdout, _) = await Sh("echo $$; ls /proc | grep -cE '^[0-9]+$'");
        Assert.Equal(0, code);
        string[] lines = stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal("1", lines[0]);
        Assert.True(int.Parse(lines[1]) <= 3, $"the container sees only its own processes, saw {lines[1]}");
    }

    [Fact]
    public async Task MaskedPaths_AreEmpty_AndReadonlyPaths_RefuseWrites()
    {
        var (code, stdout, _) = await Sh("wc -c < /proc/timer_list; ls /sys/firmware | wc -l; echo 1 > /proc/sys/kernel/domainname && echo writable || echo refused");
        Assert.Equal(0, code);
        Assert.Equal(["0", "0", "refused"], stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries));
    }

    [Fact]
    public async Task ReadonlyRootfs_RefusesWrites_ButTmpfsMountsStayWritable()
    {
        var (code, stdout, _) = await Sh("touch /newfile 2>/dev/null && echo root-writable || echo root-readonly; touch /dev/shm/x && echo shm-writable",
            spec => spec["root"]!["readonly"] = true);
        Assert.Equal(0, code);
        Assert.Equal(["root-readonly", "shm-writable"], stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries));
    }

    [Fact]
    public async Task WritableRootfs_KeepsChangesInTheUpperLayer_NotInTheImage()
    {
        var (code, stdout, _) = await Sh("echo data > /etc/added && cat /etc/added");
        Assert.Equal(0, code);
        Assert.Equal("data\n", stdout);
        Assert.False(File.Exists(Path.Combine(BusyboxRootfs.Path, "etc", "added")), "the lower layer must stay untouched");
    }

    /// <summary>CRI binds its files with a propagation option (rbind,rprivate): it applies to the new mount, not beneath it.</summary>
    [Fact]
    public async Task BindMounts_WithPropagationOptions_AreMountedAndPrivateOrSlave()
    {
        string file = Path.GetTempFileName();
        try
        {
            File.WriteAllText(file, "bound-content\n");
            var (code, stdout, stderr) = await Sh("cat /etc/bound-private /etc/bound-slave; grep -c ' /etc/bound-private ' /proc/self/mountinfo", spec =>
            {
                JsonArray mounts = spec["mounts"]!.AsArray();
                mounts.Add((JsonNode)new JsonObject { ["destination"] = "/etc/bound-private", ["type"] = "bind", ["source"] = file, ["options"] = new JsonArray("rbind", "rprivate", "ro") });
                mounts.Add((JsonNode)new JsonObject { ["destination"] = "/etc/bound-slave", ["type"] = "bind", ["source"] = file, ["options"] = new JsonArray("bind", "rslave") });
            });
            Assert.True(code == 0, $"exit {code}: {stderr}");
            Assert.Equal(["bound-content", "bound-content", "1"], stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        }
        finally
        {
            File.Delete(file);
        }
    }

    /// <summary>Docker sets a shared root for an rshared bind, CRI an rshared one for Bidirectional propagation.</summary>
    [Theory]
    [InlineData("shared")]
    [InlineData("rshared")]
    public async Task ASharedRootPropagation_StillPivotsIntoTheRoot(string propagation)
    {
        // The old code failed Create: "container setup step PivotRoot (item 1) failed: EINVAL" (pivot_root refuses a shared new root).
        var (code, stdout, stderr) = await Sh("[ -x /bin/busybox ] && echo in-the-root", spec => spec["linux"]!["rootfsPropagation"] = propagation);
        Assert.True(code == 0, $"exit {code}: {stderr}");
        Assert.Equal("in-the-root\n", stdout);
    }

    /// <summary>CRI's specs make /proc/sys read-only; its sysctls must still be written (runc writes them first).</summary>
    [Fact]
    public async Task NamespacedSysctls_AreWrittenBeforeProcSysBecomesReadOnly()
    {
        // The old order failed Create: "linux.sysctl: container setup step Sysctl (item 0) failed: EROFS".
        var (code, stdout, stderr) = await Sh(
            "cat /proc/sys/kernel/shm_rmid_forced /proc/sys/kernel/msgmax; echo 1 > /proc/sys/kernel/msgmnb 2>/dev/null && echo writable || echo read-only",
            spec => spec["linux"]!["sysctl"] = new JsonObject { ["kernel.shm_rmid_forced"] = "1", ["kernel.msgmax"] = "12345" });
        Assert.True(code == 0, $"exit {code}: {stderr}");
        Assert.Equal(["1", "12345", "read-only"], stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries));
    }

    [Fact]
    public async Task ExitCode_IsTheStatus()
    {
        Assert.Equal(3, (await Sh("exit 3")).ExitCode);
    }

    [Fact]
    public async Task Seccomp_ErrnoRule_DeniesTheSyscall()
    {
        var (code, stdout, stderr) = await Sh("mkdir /tmp/blocked 2>&1; echo status=$?", spec =>
            spec["linux"]!["seccomp"] = new JsonObject
            {
                ["defaultAction"] = "SCMP_ACT_ALLOW",
                ["architectures"] = new JsonArray("SCMP_ARCH_X86_64"),
                ["syscalls"] = new JsonArray(new JsonObject
                {
                    ["names"] = new JsonArray("mkdir", "mkdirat"), ["action"] = "SCMP_ACT_ERRNO", ["errnoRet"] = 1,
                }),
            });
        Assert.Equal(0, code);
        Assert.Contains("Operation not permitted", stdout);
        Assert.Contains("status=1", stdout);
    }

    public void Dispose() => _harness.Dispose();
}
