using System.Text.Json.Nodes;
using KataSharp.Agent.Tests.Support;
using KataSharp.AgentCtl.Scenarios;
using Xunit;

namespace KataSharp.Agent.Tests.Engine;

/// <summary>
/// Specs written on the host list the host's devices (<c>ctr run --privileged</c>: its /dev/kvm 10:232, its
/// loop devices 7:N). In the guest those numbers name nothing or a guest device: the container gets a node only for
/// a number the guest kernel has (a fake /sys/dev decides here), and a privileged one gets the guest's block devices.
/// </summary>
public sealed class HostDeviceTests : IDisposable
{
    private readonly FakeSysDev _sysDev = new();
    private readonly EngineHarness _harness;

    public HostDeviceTests() => _harness = new EngineHarness(_sysDev.Dir);

    private static JsonObject Device(string path, string type, int major, int minor) =>
        new() { ["path"] = path, ["type"] = type, ["major"] = major, ["minor"] = minor, ["fileMode"] = 0x1b6 };

    private Task<(int ExitCode, string Stdout, string Stderr)> RunAsync(string script, Action<JsonObject> edit)
    {
        JsonObject spec = OciSpecs.Create("sh", "-c", script);
        edit(spec);
        return _harness.RunAsync($"d{Guid.NewGuid():N}"[..12], spec);
    }

    [Fact]
    public async Task ASpecDeviceTheGuestDoesNotHave_IsNotMade_AndOneItHasIs()
    {
        var (code, stdout, stderr) = await RunAsync("for d in kvm loop0 full2; do [ -e /dev/$d ] && echo \"$d $(stat -c '%t:%T' /dev/$d)\" || echo \"$d none\"; done",
            spec => spec["linux"]!["devices"] = new JsonArray(Device("/dev/kvm", "c", 10, 232), Device("/dev/loop0", "b", 7, 0), Device("/dev/full2", "c", 1, 7)));

        // The old code made every node of the spec: "kvm a:e8" and "loop0 7:0" (stat prints hex).
        Assert.True(code == 0, $"exit {code}: {stderr}");
        Assert.Equal("kvm none\nloop0 none\nfull2 1:7\n", stdout);
    }

    [Fact]
    public async Task APrivilegedContainer_GetsTheGuestsBlockDevices_NotTheHosts()
    {
        _sysDev.AddBlock(254, 0, "vda").AddBlock(254, 16, "vdb");
        var (code, stdout, stderr) = await RunAsync("for d in vda vdb loop0; do [ -b /dev/$d ] && echo \"$d $(stat -c '%t:%T' /dev/$d)\" || echo \"$d none\"; done", spec =>
        {
            spec["linux"]!["devices"] = new JsonArray(Device("/dev/loop0", "b", 7, 0));
            spec["linux"]!["resources"] = new JsonObject { ["devices"] = new JsonArray(new JsonObject { ["allow"] = true, ["access"] = "rwm" }) };
        });

        // The old code made the host's loop0 and none of the guest's disks.
        Assert.True(code == 0, $"exit {code}: {stderr}");
        Assert.Equal("vda fe:0\nvdb fe:10\nloop0 none\n", stdout);
    }

    [Fact]
    public async Task AContainerWhoseDevicesCgroupIsNotAllowAll_GetsNoGuestBlockDevice()
    {
        _sysDev.AddBlock(254, 0, "vda");
        var (code, stdout, stderr) = await RunAsync("[ -e /dev/vda ] && echo vda || echo none", spec =>
            spec["linux"]!["resources"] = new JsonObject
            {
                ["devices"] = new JsonArray(new JsonObject { ["allow"] = true, ["access"] = "rwm" }, new JsonObject { ["allow"] = false, ["type"] = "b", ["access"] = "rwm" }),
            });
        Assert.True(code == 0, $"exit {code}: {stderr}");
        Assert.Equal("none\n", stdout);
    }

    public void Dispose()
    {
        _harness.Dispose();
        _sysDev.Dispose();
    }
}
