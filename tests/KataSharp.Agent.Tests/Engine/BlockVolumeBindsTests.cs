using System.Text;
using KataSharp.Agent.Engine.Devices;
using KataSharp.Agent.Engine.Oci;
using KataSharp.Agent.Errors;
using Xunit;

namespace KataSharp.Agent.Tests.Engine;

/// <summary>
/// The runtime's block volumes (serial of the virtio-blk disk holding a host block device, destination of the bind it
/// replaces) are checked as layers' serials are, and point exactly one bind mount of the spec at the guest disk's node.
/// </summary>
public sealed class BlockVolumeBindsTests
{
    private static readonly Dictionary<string, string> Disks = new(StringComparer.Ordinal) { ["ks3g7"] = "/dev/vdd", ["ks4g8"] = "/dev/vde" };

    private static OciSpec Spec(string mounts = """
        {"destination":"/proc","type":"proc","source":"proc"},
        {"destination":"/dev/xvdb","type":"bind","source":"/dev/loop3","options":["rbind","rprivate","rw","nodev"]},
        {"destination":"/data/disk","source":"/dev/loop4","options":["rbind","ro"]},
        {"destination":"/dev/shm","type":"tmpfs","source":"shm"}
        """) => OciJson.ParseSpec(Encoding.UTF8.GetBytes($"{{\"mounts\":[{mounts}]}}"));

    private static void Apply(OciSpec spec, params BlockVolumeRequest[] volumes) =>
        BlockVolumeBinds.Apply(spec, volumes, serial => Disks.GetValueOrDefault(serial));

    [Fact]
    public void EachVolume_PointsItsBindAtTheGuestDisk_KeepingTheOptions_AndNothingElseChanges()
    {
        OciSpec spec = Spec();
        Apply(spec, new BlockVolumeRequest("ks3g7", "/dev/xvdb"), new BlockVolumeRequest("ks4g8", "/data/disk"));
        Assert.Equal(["proc", "/dev/vdd", "/dev/vde", "shm"], spec.Mounts!.Select(m => m.Source));
        Assert.Equal(["rbind", "rprivate", "rw", "nodev"], spec.Mounts![1].Options);
    }

    [Fact]
    public void NoVolumes_ChangeNothing()
    {
        OciSpec spec = Spec();
        Apply(spec);
        Assert.Equal("/dev/loop3", spec.Mounts![1].Source);
    }

    [Theory]
    [InlineData("", "block_volumes[0].block_serial")]
    [InlineData("ks3g7/../../x", "block_volumes[0].block_serial")]
    [InlineData("a-serial-of-21-chars!", "block_volumes[0].block_serial")]
    [InlineData("ks\n3", "block_volumes[0].block_serial")]
    public void ABadSerial_IsInvalid_NamingTheField(string serial, string field)
    {
        AgentException e = Assert.Throws<AgentException>(() => Apply(Spec(), new BlockVolumeRequest(serial, "/dev/xvdb")));
        Assert.Equal(AgentErrorCode.InvalidArgument, e.Code);
        Assert.Equal(field, e.Field);
        Assert.DoesNotContain("\n", e.Message);
    }

    [Theory]
    [InlineData("dev/xvdb", "absolute")]
    [InlineData("/dev/../etc/passwd", "'..'")]
    [InlineData("/proc", "names no bind mount")]
    [InlineData("/nowhere", "names no bind mount")]
    public void ADestinationThatIsNotOneBindOfTheSpec_IsInvalid(string destination, string why)
    {
        AgentException e = Assert.Throws<AgentException>(() => Apply(Spec(), new BlockVolumeRequest("ks3g7", destination)));
        Assert.Equal(AgentErrorCode.InvalidArgument, e.Code);
        Assert.Equal("block_volumes[0].destination", e.Field);
        Assert.Contains(why, e.Message);
    }

    [Fact]
    public void TwoBindsAtTheDestination_OrTwoVolumesForOne_AreInvalid()
    {
        OciSpec twice = Spec("""
            {"destination":"/dev/xvdb","type":"bind","source":"/dev/loop3"},{"destination":"/dev/xvdb","type":"bind","source":"/dev/loop5"}
            """);
        Assert.Contains("exactly one", Assert.Throws<AgentException>(() => Apply(twice, new BlockVolumeRequest("ks3g7", "/dev/xvdb"))).Message);
        AgentException e = Assert.Throws<AgentException>(() => Apply(Spec(), new BlockVolumeRequest("ks3g7", "/dev/xvdb"), new BlockVolumeRequest("ks4g8", "/dev/xvdb")));
        Assert.Equal("block_volumes[1].destination", e.Field);
    }

    [Fact]
    public void ASerialNoDiskHas_IsNotFound_NamingIt()
    {
        AgentException e = Assert.Throws<AgentException>(() => Apply(Spec(), new BlockVolumeRequest("ks9g9", "/dev/xvdb")));
        Assert.Equal(AgentErrorCode.NotFound, e.Code);
        Assert.Contains("ks9g9", e.Message);
        Assert.Contains("block_volumes[0].block_serial", e.Message);
    }

    [Fact]
    public void MoreVolumesThanAVmHasSlots_AreInvalid()
    {
        BlockVolumeRequest[] many = Enumerable.Range(0, BlockVolumeBinds.MaxVolumes + 1).Select(i => new BlockVolumeRequest($"ks{i}", $"/d{i}")).ToArray();
        Assert.Equal("block_volumes", Assert.Throws<AgentException>(() => Apply(Spec(), many)).Field);
    }
}
