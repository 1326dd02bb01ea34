using System.Text.Json.Nodes;
using KataSharp.Agent.Engine.Oci;
using KataSharp.Agent.Engine.Plans;
using KataSharp.Agent.Engine.Spec;
using KataSharp.Agent.Errors;
using KataSharp.AgentCtl.Scenarios;
using KataSharp.Linux.Mounts;
using Xunit;

namespace KataSharp.Agent.Tests.Spec;

public sealed class SpecValidatorTests
{
    private static ContainerPlan Validate(JsonObject spec, Func<string, bool?>? paths = null) =>
        SpecValidator.Validate("c1", OciJson.ParseSpec(OciSpecs.Bytes(spec)), "sandbox-host", paths ?? (_ => true));

    [Fact]
    public void RuncStyleSpec_BecomesAFlatPlan()
    {
        ContainerPlan plan = Validate(OciSpecs.Create("sh", "-c", "true"));
        Assert.Equal(NamespaceSet.Pid | NamespaceSet.Ipc | NamespaceSet.Uts | NamespaceSet.Mount, plan.Namespaces);
        Assert.Equal("testbox", plan.Hostname);
        Assert.Equal(["sh", "-c", "true"], plan.Process.Args);
        MountPlan sys = plan.Mounts.Single(m => m.Destination == "/sys");
        Assert.Equal(MountFlags.NoSuid | MountFlags.NoExec | MountFlags.NoDev | MountFlags.ReadOnly, sys.Flags);
        MountPlan pts = plan.Mounts.Single(m => m.Destination == "/dev/pts");
        Assert.Equal("newinstance,ptmxmode=0666,mode=0620,gid=5", pts.Data);
        Assert.Contains(plan.Devices, d => d.Path == "dev/null" && d.Major == 1 && d.Minor == 3);
        Assert.Equal(0UL, (1UL << 21) & plan.Process.Capabilities!.Value.Bounding); // no CAP_SYS_ADMIN
    }

    [Fact]
    public void NoCapabilities_MeansEmptySets_NotTheAgents()
    {
        JsonObject spec = OciSpecs.Create("true");
        spec["process"]!.AsObject().Remove("capabilities");
        Assert.Equal(new CapabilitySets(0, 0, 0, 0, 0), Validate(spec).Process.Capabilities);
        JsonObject exec = OciSpecs.Process("true");
        exec.Remove("capabilities");
        Assert.Equal(new CapabilitySets(0, 0, 0, 0, 0), ProcessValidator.Validate(OciJson.ParseProcess(OciSpecs.Bytes(exec)), "process_json").Capabilities);
    }

    [Fact]
    public void MissingHostname_UsesTheSandboxHostname()
    {
        JsonObject spec = OciSpecs.Create("true");
        spec.Remove("hostname");
        Assert.Equal("sandbox-host", Validate(spec).Hostname);
    }

    [Fact]
    public void BindSources_MustExistInTheGuest()
    {
        JsonObject spec = OciSpecs.Create("true");
        spec["mounts"]!.AsArray().Add((JsonNode)new JsonObject { ["destination"] = "/etc/hosts", ["type"] = "bind", ["source"] = "/host/only/hosts", ["options"] = new JsonArray("rbind") });
        AgentException e = Assert.Throws<AgentException>(() => Validate(spec, path => path == "/host/only/hosts" ? null : true));
        Assert.Equal("mounts[6].source", e.Field);
        Assert.Contains("CopyFile", e.Message);
    }

    [Theory]
    [InlineData("kernel.shmmax", "1000", null)]
    [InlineData("net.ipv4.ip_forward", "1", null)]
    [InlineData("kernel.panic", "1", "linux.sysctl[kernel.panic]")]
    [InlineData("vm.swappiness", "1", "linux.sysctl[vm.swappiness]")]
    public void Sysctls_OnlyNamespacedOnesAreAccepted(string key, string value, string? rejectedField)
    {
        JsonObject spec = OciSpecs.Create("true");
        spec["linux"]!["sysctl"] = new JsonObject { [key] = value };
        if (rejectedField is null)
        {
            Assert.Equal(value, Validate(spec).Sysctls[key]);
        }
        else
        {
            Assert.Equal(rejectedField, Assert.Throws<AgentException>(() => Validate(spec)).Field);
        }
    }

    [Fact]
    public void NetworkNamespace_IsSharedWithThePod_AndMountNamespaceIsRequired()
    {
        JsonObject spec = OciSpecs.Create("true");
        Assert.False(Validate(spec).Namespaces.HasFlag(NamespaceSet.Network));
        spec["linux"]!["namespaces"] = new JsonArray(new JsonObject { ["type"] = "pid" });
        Assert.Equal("linux.namespaces", Assert.Throws<AgentException>(() => Validate(spec)).Field);
    }

    [Theory]
    [InlineData("network", "/var/run/netns/cni-0a1b")]
    [InlineData("network", "/proc/1/ns/net")]
    [InlineData("pid", "/proc/1/ns/pid")]
    public void NamespacePaths_AreRefusedNamingTheField_TheRuntimeDropsANetworkPath(string type, string path)
    {
        JsonObject spec = OciSpecs.Create("true");
        spec["linux"]!["namespaces"] = new JsonArray(new JsonObject { ["type"] = "mount" }, new JsonObject { ["type"] = type, ["path"] = path });
        AgentException e = Assert.Throws<AgentException>(() => Validate(spec));
        Assert.Equal("linux.namespaces[1].path", e.Field);
    }

    [Fact]
    public void Hooks_AreRefused()
    {
        JsonObject spec = OciSpecs.Create("true");
        spec["hooks"] = new JsonObject { ["prestart"] = new JsonArray(new JsonObject { ["path"] = "/bin/true" }) };
        Assert.Equal("hooks", Assert.Throws<AgentException>(() => Validate(spec)).Field);
    }

    [Theory]
    [InlineData("""[{"allow":true,"access":"rwm"}]""", true)] // ctr --privileged, CRI privileged
    [InlineData("""[{"allow":false,"access":"rwm"},{"allow":true,"type":"a","access":"rwm"}]""", true)]
    [InlineData("""[{"allow":true}]""", true)] // no access: every access (runc)
    [InlineData("""[{"allow":false,"access":"rwm"},{"allow":true,"type":"c","major":1,"minor":3,"access":"rwm"}]""", false)] // containerd's default
    [InlineData("""[{"allow":true,"access":"rwm"},{"allow":false,"type":"b","access":"rwm"}]""", false)]
    [InlineData("""[{"allow":true,"access":"rw"}]""", false)]
    [InlineData("""[]""", false)]
    public void AllDevicesAllowed_OnlyWhenTheLastAllDevicesRuleAllowsEverything(string rules, bool expected)
    {
        JsonObject spec = OciSpecs.Create("true");
        spec["linux"]!["resources"] = new JsonObject { ["devices"] = JsonNode.Parse(rules) };
        Assert.Equal(expected, Validate(spec).AllDevicesAllowed);
        Assert.False(Validate(OciSpecs.Create("true")).AllDevicesAllowed);
    }
}
