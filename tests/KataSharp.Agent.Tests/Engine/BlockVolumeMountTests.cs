using System.Text.Json.Nodes;
using KataSharp.Agent.Engine.Devices;
using KataSharp.Agent.Tests.Support;
using KataSharp.AgentCtl.Scenarios;
using KataSharp.Linux.Files;
using Xunit;

namespace KataSharp.Agent.Tests.Engine;

/// <summary>
/// A host block device's bind in a real container (root; a fake /sys/block names the disk of a serial, the disk is one
/// of this machine's loop device nodes, only opened for reading): the container finds the guest disk's node at the
/// destination, and opens it unless the runtime added nodev (a devices cgroup that would refuse it under runc).
/// </summary>
public sealed class BlockVolumeMountTests : IDisposable
{
    private const string Serial = "ks7g1";

    private readonly string _sysBlock = Directory.CreateTempSubdirectory("ks-sysblock-").FullName;
    private readonly string? _disk;
    private readonly EngineHarness _harness;

    public BlockVolumeMountTests()
    {
        // The last loop node: the least likely to be in use; only read-only opens happen.
        _disk = Directory.EnumerateFiles("/dev", "loop*").Where(p => FileNode.TryOf(p)?.IsBlockDevice == true).Order(StringComparer.Ordinal).LastOrDefault();
        if (_disk is not null)
        {
            string entry = Directory.CreateDirectory(Path.Combine(_sysBlock, Path.GetFileName(_disk))).FullName;
            File.WriteAllText(Path.Combine(entry, "serial"), Serial);
        }
        _harness = new EngineHarness(sysBlockDir: _sysBlock);
    }

    private async Task<string?> RunAsync(string[] options, string destination = "/dev/xvdb", bool privileged = false)
    {
        if (_disk is null)
        {
            return null; // no loop device node on this machine
        }
        JsonObject spec = OciSpecs.Create("sh", "-c", $"[ -b {destination} ] && echo block; (exec 3<{destination}) 2>/dev/null && echo opened || echo denied; stat -c %t:%T {destination}");
        if (privileged)
        {
            spec["linux"]!["resources"] = new JsonObject { ["devices"] = new JsonArray(new JsonObject { ["allow"] = true, ["access"] = "rwm" }) };
        }
        ((JsonArray)spec["mounts"]!).Add((JsonNode)new JsonObject
        {
            ["destination"] = destination,
            ["type"] = "bind",
            ["source"] = "/dev/loop-on-the-host",
            ["options"] = new JsonArray(options.Select(o => (JsonNode)o).ToArray()),
        });
        var (code, stdout, stderr) = await _harness.RunAsync($"b{Guid.NewGuid():N}"[..12], spec, blockVolumes: [new BlockVolumeRequest(Serial, destination)]);
        Assert.True(code == 0, $"exit {code}: {stderr}");
        return stdout;
    }

    private string Number => _disk is null ? "" : $"{FileNode.Of(_disk).DeviceMajor:x}:{FileNode.Of(_disk).DeviceMinor:x}\n";

    [Fact]
    public async Task TheGuestDisksNode_IsBoundAtTheDestination_AndOpens()
    {
        string? stdout = await RunAsync(["rbind", "rprivate", "ro"]);
        Assert.True(stdout is null || stdout == "block\nopened\n" + Number, stdout);
    }

    [Fact]
    public async Task WithNodev_TheNodeIsThere_ButOpenIsRefused_AsRuncsDevicesCgroupWould()
    {
        string? stdout = await RunAsync(["rbind", "rprivate", "rw", "nodev"]);
        Assert.True(stdout is null || stdout == "block\ndenied\n" + Number, stdout);
    }

    /// <summary>A privileged container also gets every guest disk at /dev/NAME: the bind at such a path stays (the old code
    /// replaced the mount point by the other disk's node and failed Create with EBUSY).</summary>
    [Fact]
    public async Task InAPrivilegedContainer_ABindAtAGuestDisksPath_KeepsTheBoundDisk()
    {
        string? other = _disk is null ? null : Directory.EnumerateFiles("/dev", "loop*")
            .Where(p => p != _disk && FileNode.TryOf(p)?.IsBlockDevice == true).Order(StringComparer.Ordinal).FirstOrDefault();
        if (other is null)
        {
            return; // needs two loop device nodes
        }
        string? stdout = await RunAsync(["rbind", "rprivate", "ro"], destination: other, privileged: true);
        Assert.Equal("block\nopened\n" + Number, stdout);
    }

    public void Dispose()
    {
        _harness.Dispose();
        Directory.Delete(_sysBlock, recursive: true);
    }
}
