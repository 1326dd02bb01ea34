using KataSharp.TestHost.Machine;
using Xunit;

namespace KataSharp.TestHost.Tests.Machine;

public sealed class MachineLockTests : IDisposable
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(30);
    private readonly string path = Path.Combine(Path.GetTempPath(), $"ks-lock-{Guid.NewGuid():N}", "testhost.lock");

    [Fact]
    public async Task ASecondHolderWaitsSaysSoAndGetsTheLockWhenTheFirstLetsGo()
    {
        MachineLock first = await MachineLock.AcquireAsync(path, _ => { }, CancellationToken.None);
        var waiting = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        Task<MachineLock> second = MachineLock.AcquireAsync(path, line => waiting.TrySetResult(line), CancellationToken.None);

        string message = await waiting.Task.WaitAsync(Deadline);
        Assert.Contains("waiting for the machine-wide test host lock", message);
        Assert.Contains($"held by pid {Environment.ProcessId}", message);
        Assert.False(second.IsCompleted);

        first.Dispose();
        using MachineLock acquired = await second.WaitAsync(Deadline);
        Assert.Equal(path, acquired.Path);
    }

    [Fact]
    public async Task WaitingCanBeCancelled()
    {
        using MachineLock held = await MachineLock.AcquireAsync(path, _ => { }, CancellationToken.None);
        using var cancel = new CancellationTokenSource();
        var waiting = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        Task<MachineLock> second = MachineLock.AcquireAsync(path, _ => waiting.TrySetResult(), cancel.Token);
        await waiting.Task.WaitAsync(Deadline);
        cancel.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => second.WaitAsync(Deadline));
    }

    [Fact]
    public async Task ItIsAnFlockThatShellScriptsSeeToo()
    {
        using MachineLock held = await MachineLock.AcquireAsync(path, _ => { }, CancellationToken.None);
        using var flock = System.Diagnostics.Process.Start(new System.Diagnostics.ProcessStartInfo("flock")
        {
            ArgumentList = { "--nonblock", "--conflict-exit-code", "42", path, "true" },
        })!;
        await flock.WaitForExitAsync().WaitAsync(Deadline);
        Assert.Equal(42, flock.ExitCode);
    }

    public void Dispose() => Directory.Delete(Path.GetDirectoryName(path)!, recursive: true);
}
