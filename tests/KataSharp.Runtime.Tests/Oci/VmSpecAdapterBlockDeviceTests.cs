using System.Text.Json;
using KataSharp.Linux.Files;
using KataSharp.Runtime.Model;
using KataSharp.Runtime.Oci;
using KataSharp.Runtime.Oci.Spec;
using KataSharp.Runtime.Volumes;
using Xunit;

namespace KataSharp.Runtime.Tests.Oci;

/// <summary>
/// Binds whose source is a host block device (kubelet's hostPath of type BlockDevice) become block-device mounts for
/// the backend; character devices and directories keep doing what they did; the devices cgroup decides, as under runc,
/// whether the container may open the node (nodev when it may not).
/// </summary>
public class VmSpecAdapterBlockDeviceTests
{
    /// <summary>containerd's CRI rules for an unprivileged container: deny all, then the default character devices.</summary>
    private const string UnprivilegedRules = """
        [{"allow":false,"access":"rwm"},{"allow":true,"type":"c","major":1,"minor":3,"access":"rwm"},{"allow":true,"type":"c","major":5,"minor":0,"access":"rwm"}]
        """;

    /// <summary>containerd's rules for a privileged container (WithAllDevicesAllowed).</summary>
    private const string PrivilegedRules = """[{"allow":true,"access":"rwm"}]""";

    private static readonly Dictionary<string, FileNode> Host = new(StringComparer.Ordinal)
    {
        ["/dev/loop3"] = new FileNode(FileKind.BlockDevice, 7, 3),
        ["/dev/fuse"] = new FileNode(FileKind.CharacterDevice, 10, 229),
        ["/srv/data"] = new FileNode(FileKind.Directory, 0, 0),
        ["/etc/hosts"] = new FileNode(FileKind.Regular, 0, 0),
    };

    private static string Spec(string source, string options, string rules) => $$$"""
        {"ociVersion":"1.1.0","mounts":[{"destination":"/proc","type":"proc","source":"proc"},
          {"destination":"/dev/xvdb","type":"bind","source":"{{{source}}}","options":[{{{options}}}]}],
         "linux":{"resources":{"devices":{{{rules}}} } } }
        """;

    private static string Adapt(string text, out IReadOnlyList<HostBlockDevice> devices)
    {
        OciSpec spec = Specs.Parse(text);
        VmSpecAdapter.ForGuest(spec, p => Host.TryGetValue(p, out FileNode node) ? node : null, out _, out devices);
        return spec.ToJson();
    }

    /// <summary>Adapts the spec and checks that it still says what its text said.</summary>
    private static void AssertUntouched(string text, out IReadOnlyList<HostBlockDevice> devices) =>
        Specs.AssertUntouched(text, Specs.Parse(Adapt(text, out devices)));

    private static string[] OptionsAt(string spec, string destination) =>
        JsonDocument.Parse(spec).RootElement.GetProperty("mounts").EnumerateArray()
            .Single(m => m.GetProperty("destination").GetString() == destination)
            .GetProperty("options").EnumerateArray().Select(o => o.GetString()!).ToArray();

    [Fact]
    public void ABlockDeviceBind_BecomesABlockDeviceMount_ReadWrite_AndAnUnprivilegedContainerGetsNodev()
    {
        string adapted = Adapt(Spec("/dev/loop3", "\"rbind\",\"rprivate\",\"rw\"", UnprivilegedRules), out var devices);

        HostBlockDevice device = Assert.Single(devices);
        Assert.Equal(new HostBlockDevice(1, "/dev/loop3", "/dev/xvdb", false, 7, 3), device);
        // runc would bind the node and its devices cgroup would refuse open(): nodev refuses it in the guest.
        Assert.Equal(["rbind", "rprivate", "rw", "nodev"], OptionsAt(adapted, "/dev/xvdb"));
        Assert.Contains("mounts[1]", device.Describe());
        Assert.Contains("7:3", device.Describe());
    }

    [Fact]
    public void APrivilegedContainer_MayOpenIt_TheSpecStaysVerbatim_AndRoIsKept()
    {
        string spec = Spec("/dev/loop3", "\"rbind\",\"rprivate\",\"ro\"", PrivilegedRules);
        AssertUntouched(spec, out var devices);
        Assert.True(Assert.Single(devices).ReadOnly);
    }

    [Fact]
    public void ARuleForTheDevicesOwnNumbers_AllowsWhatItSays()
    {
        string readRule = UnprivilegedRules.Replace("]", """,{"allow":true,"type":"b","major":7,"minor":3,"access":"r"}]""");
        Assert.DoesNotContain("nodev", OptionsAt(Adapt(Spec("/dev/loop3", "\"rbind\",\"ro\"", readRule), out _), "/dev/xvdb"));
        // Read-write needs w too: a read-only rule is not enough.
        Assert.Contains("nodev", OptionsAt(Adapt(Spec("/dev/loop3", "\"rbind\",\"rw\"", readRule), out _), "/dev/xvdb"));
    }

    [Fact]
    public void NoDevicesRules_DeniesAsRuncWould_AndAMountWithoutOptionsGetsSome()
    {
        const string spec = """{"mounts":[{"destination":"/dev/xvdb","type":"bind","source":"/dev/loop3"}]}""";
        Assert.Equal(["nodev"], OptionsAt(Adapt(spec, out var devices), "/dev/xvdb"));
        Assert.False(Assert.Single(devices).ReadOnly);
    }

    [Fact]
    public void ACharacterDeviceBind_IsNoBlockDevice_AndIsLeftToTheFileCopy_AsBefore()
    {
        string spec = Spec("/dev/fuse", "\"rbind\",\"rw\"", UnprivilegedRules);
        AssertUntouched(spec, out var devices);
        Assert.Empty(devices);
    }

    [Fact]
    public void AHostPathDirectory_StillFails_NamingTheMount()
    {
        var e = Assert.Throws<RuntimeException>(() => Adapt(Spec("/srv/data", "\"rbind\"", PrivilegedRules), out _));
        Assert.Equal(RuntimeError.NotImplemented, e.Error);
        Assert.Contains("mounts[1]", e.Message);
        Assert.Contains("/srv/data → /dev/xvdb", e.Message);
    }

    [Fact]
    public void FilesAndMissingSources_AreNotBlockDevices()
    {
        string file = Spec("/etc/hosts", "\"rbind\",\"ro\"", UnprivilegedRules);
        AssertUntouched(file, out var none);
        Assert.Empty(none);
        string missing = Spec("/dev/nonexistent", "\"rbind\"", UnprivilegedRules);
        AssertUntouched(missing, out none);
        Assert.Empty(none);
    }

    [Fact]
    public void TheShimsStat_SeesDevNullAsACharacterDevice()
    {
        string text = Spec("/dev/null", "\"rbind\"", UnprivilegedRules);
        OciSpec spec = Specs.Parse(text);
        VmSpecAdapter.ForGuest(spec, FileNode.TryOf, out _, out var devices);
        Specs.AssertUntouched(text, spec);
        Assert.Empty(devices);
    }

    [Theory]
    [InlineData("""[{"allow":true,"access":"rwm"},{"allow":false,"type":"b","access":"w"}]""", "r", true)]
    [InlineData("""[{"allow":true,"access":"rwm"},{"allow":false,"type":"b","access":"w"}]""", "rw", false)]
    [InlineData("""[{"allow":false,"access":"rwm"},{"allow":true,"type":"b","major":7,"minor":-1,"access":"rw"}]""", "rw", true)]
    [InlineData("""[{"allow":false,"access":"rwm"},{"allow":true,"type":"c","major":7,"minor":3,"access":"rw"}]""", "r", false)]
    [InlineData("""[{"allow":false,"access":"rwm"},{"allow":true,"type":"b","major":7,"minor":4,"access":"rw"}]""", "r", false)]
    [InlineData("""[{"allow":true,"type":"a"}]""", "rw", true)]
    [InlineData("[]", "r", false)]
    public void DeviceCgroupRules_TheLastRuleCoveringEachAccessDecides(string rules, string access, bool allowed)
    {
        OciSpec spec = Specs.Parse("""{"linux":{"resources":{"devices":""" + rules + "}}}");
        Assert.Equal(allowed, DeviceCgroupRules.Allows(spec, 'b', 7, 3, access));
    }
}
