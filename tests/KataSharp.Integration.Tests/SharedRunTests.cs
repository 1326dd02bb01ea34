using KataSharp.TestHost;
using Xunit;

namespace KataSharp.Integration.Tests;

/// <summary>SharedRun runs once per class, and again only when the test host's kernel failed under it.</summary>
public sealed class SharedRunTests
{
    private static readonly CommandResult Ok = new(0, "k=v\n", "", TimeSpan.Zero);

    private static TestHostException Failure(TestHostError error) =>
        new(error, "command could not finish: bash x\nQEMU pid 1 was stopped: its kernel failed ([ 808.5] soft lockup - CPU#1 stuck for 659s!)");

    [Fact]
    public async Task Every_caller_gets_the_one_run()
    {
        int starts = 0;
        var run = new SharedRun(_ => { });
        Task<CommandResult> Start() { starts++; return Task.FromResult(Ok); }
        Assert.Same(await run.GetAsync(Start), await run.GetAsync(Start));
        Assert.Equal(1, starts);
    }

    [Fact]
    public async Task A_kernel_failure_of_the_test_host_runs_it_once_more_and_says_why()
    {
        int starts = 0;
        var logged = new List<string>();
        var run = new SharedRun(logged.Add);
        CommandResult result = await run.GetAsync(() => ++starts == 1 ? throw Failure(TestHostError.KernelFailed) : Task.FromResult(Ok));
        Assert.Same(Ok, result);
        Assert.Equal(2, starts);
        Assert.Contains("soft lockup - CPU#1 stuck for 659s", Assert.Single(logged));
    }

    [Fact]
    public async Task A_second_kernel_failure_fails_the_run()
    {
        int starts = 0;
        var run = new SharedRun(_ => { });
        var e = await Assert.ThrowsAsync<TestHostException>(() => run.GetAsync(() => { starts++; throw Failure(TestHostError.KernelFailed); }));
        Assert.Equal(TestHostError.KernelFailed, e.Error);
        Assert.Equal(2, starts);
    }

    [Theory]
    [InlineData(TestHostError.MachineExited)]
    [InlineData(TestHostError.CommandTimedOut)]
    [InlineData(TestHostError.CommandFailed)]
    public async Task Any_other_failure_is_not_run_again(TestHostError error)
    {
        int starts = 0;
        var run = new SharedRun(_ => { });
        var e = await Assert.ThrowsAsync<TestHostException>(() => run.GetAsync(() => { starts++; throw Failure(error); }));
        Assert.Equal(error, e.Error);
        Assert.Equal(1, starts);
    }
}
