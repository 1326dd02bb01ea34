using KataSharp.Cli.Commands;
using Xunit;

namespace KataSharp.Runtime.Tests.Cli;

/// <summary>`katasharp check`'s vhost-net line: usable when the node opens read-write, else the fix.</summary>
public sealed class VhostProbeTests
{
    [Fact]
    public void A_missing_node_says_to_load_vhost_net()
    {
        var (usable, detail) = VhostProbe.Device("/nonexistent/vhost-net");
        Assert.False(usable);
        Assert.Contains("modprobe vhost_net", detail);
    }

    [Fact]
    public void A_node_that_opens_read_write_is_usable()
    {
        var (usable, detail) = VhostProbe.Device("/dev/null");
        Assert.True(usable);
        Assert.Contains("/dev/null opens read-write", detail);
    }

    [Fact]
    public void Check_reports_vhost_net_as_a_warning_never_a_failure()
    {
        var report = CheckCommand.Inspect("/nonexistent/containerd.toml");
        var item = Assert.Single(report.Checks, c => c.Name == "vhost-net");
        Assert.NotEqual(KataSharp.Cli.Reports.CheckItem.Failed, item.Status);
        Assert.Equal(File.Exists(VhostProbe.DevicePath) ? item.Status : KataSharp.Cli.Reports.CheckItem.Warning, item.Status);
    }
}
