using KataSharp.Agent.Engine.Devices;
using KataSharp.Agent.Engine.Plans;
using KataSharp.Agent.Errors;
using KataSharp.Agent.Tests.Support;
using Xunit;

namespace KataSharp.Agent.Tests.Engine;

/// <summary>Which device nodes a container gets, against a fake guest device table (no root needed).</summary>
public sealed class GuestDevicesTests : IDisposable
{
    private readonly FakeSysDev _sysDev = new();

    private static DevicePlan Char(string path, uint major, uint minor) => new(path, DevicePlan.CharDevice | 0x1b6, major, minor, 0, 0);

    private static DevicePlan Block(string path, uint major, uint minor) => new(path, DevicePlan.BlockDevice | 0x1b0, major, minor, 0, 0);

    [Fact]
    public void ADeviceNumberTheGuestDoesNotHave_IsLeftOut_AndTheOthersKept()
    {
        _sysDev.AddBlock(254, 0, "vda");
        DevicePlan[] planned = [Char("dev/null", 1, 3), Char("dev/kvm", 10, 232), Block("dev/loop0", 7, 0), Block("dev/vda", 254, 0), Char("dev/vda-as-char", 254, 0)];

        GuestDevices.Selection s = new GuestDevices(_sysDev.Dir).Select(planned, withGuestBlockDevices: false);

        Assert.Equal(["dev/null", "dev/vda"], s.Made.Select(d => d.Path));
        Assert.Equal(["dev/kvm", "dev/loop0", "dev/vda-as-char"], s.NotInGuest.Select(d => d.Path));
    }

    [Fact]
    public void WithGuestBlockDevices_EveryGuestDiskAndPartitionIsAdded_UnlessThePlanHasThePath()
    {
        _sysDev.AddBlock(254, 0, "vda").AddBlock(254, 1, "vda1").AddBlock(254, 16, "vdb");
        DevicePlan[] planned = [Char("dev/null", 1, 3), Block("dev/vdb", 254, 0), Block("dev/sda", 8, 0)];

        GuestDevices.Selection s = new GuestDevices(_sysDev.Dir).Select(planned, withGuestBlockDevices: true);

        Assert.Equal(["dev/null", "dev/vdb", "dev/vda", "dev/vda1"], s.Made.Select(d => d.Path));
        Assert.Equal((254u, 0u), (s.Made[1].Major, s.Made[1].Minor)); // the plan's own dev/vdb stays as the spec says
        Assert.All(s.Made.Skip(2), d => Assert.True(d.IsBlock && (d.Mode & 0xfff) == 0x1b0 && d.Uid == 0 && d.Gid == 0));
        Assert.Equal(["dev/sda"], s.NotInGuest.Select(d => d.Path));
    }

    [Fact]
    public void WithoutGuestBlockDevices_NoneIsAdded()
    {
        _sysDev.AddBlock(254, 0, "vda");
        GuestDevices.Selection s = new GuestDevices(_sysDev.Dir).Select([Char("dev/null", 1, 3)], withGuestBlockDevices: false);
        Assert.Equal(["dev/null"], s.Made.Select(d => d.Path));
    }

    [Theory]
    [InlineData("../../etc/shadow")]
    [InlineData("/vda")]
    [InlineData("")]
    [InlineData("vd a")]
    public void ABlockDeviceNameThatIsNotAPlainName_IsSkipped(string devName)
    {
        _sysDev.AddBlock(254, 0, devName).AddBlock(254, 16, "vdb");
        Assert.Equal(["dev/vdb"], new GuestDevices(_sysDev.Dir).BlockDevices().Select(d => d.Path));
    }

    [Fact]
    public void WithoutADeviceTable_CreateFailsNamingIt_InsteadOfGuessing()
    {
        string missing = Path.Combine(_sysDev.Dir, "not-there");
        AgentException e = Assert.Throws<AgentException>(() => new GuestDevices(missing).Select([Char("dev/null", 1, 3)], withGuestBlockDevices: false));
        Assert.Equal(AgentErrorCode.FailedPrecondition, e.Code);
        Assert.Contains(Path.Combine(missing, "char"), e.Message);
    }

    public void Dispose() => _sysDev.Dispose();
}
