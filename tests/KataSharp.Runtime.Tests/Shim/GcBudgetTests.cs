using KataSharp.Shim.Memory;
using Xunit;

namespace KataSharp.Runtime.Tests.Shim;

public sealed class GcBudgetTests
{
    [Fact]
    public void The_shims_processes_get_a_512_KiB_gen0_budget_in_hex()
    {
        List<string> environment = GcBudget.Apply(["PATH=/usr/bin", "HOME=/root"]);
        Assert.Equal(["PATH=/usr/bin", "HOME=/root", "DOTNET_GCgen0size=80000"], environment);
        Assert.Equal(512 * 1024, Convert.ToInt32(GcBudget.Gen0Size, 16));
    }

    [Fact]
    public void A_budget_the_administrator_set_is_kept()
    {
        List<string> environment = GcBudget.Apply(["DOTNET_GCgen0size=400000", "PATH=/usr/bin"]);
        Assert.Equal(["DOTNET_GCgen0size=400000", "PATH=/usr/bin"], environment);
    }

    [Fact]
    public void A_variable_that_only_starts_like_it_is_not_the_budget()
    {
        List<string> environment = GcBudget.Apply(["DOTNET_GCgen0sizeX=1"]);
        Assert.Contains("DOTNET_GCgen0size=80000", environment);
    }
}
