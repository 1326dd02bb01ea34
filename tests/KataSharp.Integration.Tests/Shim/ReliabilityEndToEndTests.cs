using KataSharp.TestHost;
using Xunit;
using Xunit.Abstractions;

namespace KataSharp.Integration.Tests.Shim;

/// <summary>
/// What an operator relies on when things go wrong, end to end with real containerd in the nested test
/// host (tests/testhost/shim/reliability.sh): a guest kernel that panics under a running container is
/// reported and cleaned up by itself, a long output stream arrives whole, pods can boot at the same time.
/// </summary>
[Collection(TestHostCollection.Name)]
public sealed class ReliabilityEndToEndTests(TestHostFixture fixture, ITestOutputHelper output)
{
    private static readonly SharedRun Run = new();

    private Task<ShimScenario> RunAsync() =>
        ShimScenario.RunAsync(Run, fixture, ShimArtifacts.ReliabilityCommandAsync, ShimArtifacts.ReliabilityRunTimeout,
            intendedVmExits: ["GuestPanic"]); // the panic fact's own exit; a triple fault besides it may rerun the scenario



    [Fact]
    public async Task A_guest_kernel_panic_ends_ctr_run_with_137_and_leaves_no_task_container_or_shim()
    {
        ShimScenario s = await RunAsync();
        output.WriteLine($"ctr run returned after {s["panic_ms"]} ms");
        s.Equal("137", "panic_exit");
        s.Contains("filling", "panic_out");
        s.Equal("1", "panic_shim_log_exit");
        s.Equal("0", "panic_tasks_left");
        s.Equal("0", "panic_containers_left");
        s.Equal("0", "panic_shims_left");
    }

    [Fact]
    public async Task A_long_output_stream_arrives_complete_and_in_order()
    {
        ShimScenario s = await RunAsync();
        output.WriteLine($"{s["stream_lines"]} lines in {s["stream_ms"]} ms");
        s.Equal("0", "stream_exit");
        s.Equal(s["stream_lines_expected"], "stream_lines");
        s.Equal("0", "stream_out_of_order");
    }

    [Fact]
    public async Task Pods_booting_at_the_same_time_all_run()
    {
        ShimScenario s = await RunAsync();
        int n = int.Parse(s["concurrent"], System.Globalization.CultureInfo.InvariantCulture);
        output.WriteLine($"{n} concurrent ctr run --rm in {s["concurrent_ms"]} ms");
        s.Equal(string.Join(',', Enumerable.Repeat("0", n)), "concurrent_exits");
        s.Equal(string.Join(',', Enumerable.Range(1, n).Select(i => $"par-{i}")), "concurrent_outs");
    }

    [Fact]
    public async Task Nothing_is_left_and_the_only_vm_exit_is_the_panic()
    {
        ShimScenario s = await RunAsync();
        s.Equal("0", "tasks_left");
        s.Equal("0", "shims_left");
        s.Equal("1", "vm_exits");
        s.Equal("GuestPanic", "vm_exit_reasons");
    }
}
