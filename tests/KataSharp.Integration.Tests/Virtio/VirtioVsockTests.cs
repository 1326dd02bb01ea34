using System.Text.RegularExpressions;
using KataSharp.TestHost;
using Xunit;

namespace KataSharp.Integration.Tests.Virtio;

/// <summary>
/// virtio-vsock with the real guest kernel in the test host: the guest serves an echo port; the host
/// echoes through the hybrid socket (one stream, then 100 concurrent 1 MiB streams) and the guest
/// echoes through a host listener at socket_6000. One guest run; each fact checks one part.
/// </summary>
[Collection(TestHostCollection.Name)]
public sealed partial class VirtioVsockTests(TestHostFixture fixture)
{
    private const string GuestInit = VirtioGuest.GuestPrologue + $$"""

        {{VirtioGuest.GuestTool}} vsock-serve 5000 echo &
        echo "KATASHARP-VSOCK-READY"
        {{VirtioGuest.GuestTool}} vsock-client 2 6000 echo 1 262144 | sed 's/^/GUEST-TO-HOST /'
        {{VirtioGuest.GuestTool}} vsock-client 2 6001 echo 1 1000 | sed 's/^/GUEST-TO-NOWHERE /'
        {{VirtioGuest.GuestTool}} vsock-serve 5999 sink --once >/dev/null
        echo "KATASHARP-VSOCK-DONE"
        reboot -f
        """;


    private static readonly SharedRun Run = new();

    private Task<CommandResult> RunAsync() => Run.GetAsync(() => RunOnceAsync(fixture));

    private static async Task<CommandResult> RunOnceAsync(TestHostFixture fixture) =>
        await BareVmRun.RunAsync(fixture, await HostScriptAsync(), VirtioGuest.RunTimeout);

    private static async Task<string> HostScriptAsync()
    {
        string vmm = await VirtioGuest.VmmAsync();
        string kernel = await VirtioGuest.VmlinuxAsync();
        string initrd = await VirtioGuest.InitrdAsync(GuestInit);
        string tool = await VirtioGuest.HostToolAsync();
        return $$"""
            d=$(mktemp -d)
            trap 'kill $vmm_pid $serve_pid 2>/dev/null; rm -rf $d' EXIT
            {{tool}} unix-serve $d/v.sock_6000 echo >$d/serve.log 2>&1 &
            serve_pid=$!
            {{vmm}} --kernel {{kernel}} --initrd {{initrd}} --memory 512 --vcpus 2 \
              --vsock-socket $d/v.sock --cid 3 >$d/console 2>$d/stderr &
            vmm_pid=$!
            # The console goes to our stdout as it comes, so a timeout still shows how far the guest got.
            tail -f $d/console &
            tail_pid=$!
            trap 'kill $vmm_pid $serve_pid $tail_pid 2>/dev/null; rm -rf $d' EXIT
            i=0
            until grep -q KATASHARP-VSOCK-READY $d/console; do
              kill -0 $vmm_pid 2>/dev/null || break
              i=$((i+1)); [ $i -lt 6000 ] || break
              sleep 0.2
            done
            # The guest's echo server starts right after the marker: retry the first connection briefly.
            for i in $(seq 50); do
              out=$({{tool}} hvsock-client $d/v.sock 5000 echo 1 262144 2>&1) && break
              sleep 0.2
            done
            echo "HOST-TO-GUEST $out"
            echo "HOST-STREAMS $({{tool}} hvsock-client $d/v.sock 5000 echo 100 1048576 2>&1)"
            echo "HOST-TO-NOWHERE $({{tool}} hvsock-client $d/v.sock 7777 echo 1 10 2>&1)"
            i=0
            until grep -q GUEST-TO-NOWHERE $d/console; do
              kill -0 $vmm_pid 2>/dev/null || break
              i=$((i+1)); [ $i -lt 3000 ] || break
              sleep 0.2
            done
            echo "HOST-DONE $({{tool}} hvsock-client $d/v.sock 5999 sink 1 1 2>&1)"
            wait $vmm_pid
            echo "VMM-EXIT $?"
            sleep 1
            kill $tail_pid
            cat $d/stderr >&2
            """;
    }

    private static string Line(CommandResult r, string prefix)
    {
        Match m = Regex.Match(r.Stdout, $@"^{Regex.Escape(prefix)} ?(.*)$", RegexOptions.Multiline);
        Assert.True(m.Success, $"no '{prefix}' line in the output:\n{r.Stdout}\n--- stderr ---\n{r.Stderr}");
        return m.Groups[1].Value.TrimEnd('\r');
    }

    /// <summary>Asserts a line starts as expected, showing the whole run when it does not.</summary>
    private static void AssertLineStarts(CommandResult r, string prefix, string expected)
    {
        string line = Line(r, prefix);
        Assert.True(line.StartsWith(expected, StringComparison.Ordinal),
            $"{prefix}: expected '{expected}...', got '{line}'\n--- output ---\n{r.Stdout}\n--- stderr ---\n{r.Stderr}");
    }

    [Fact]
    public async Task A_host_client_echoes_through_the_guest()
    {
        CommandResult r = await RunAsync();
        AssertLineStarts(r, "HOST-TO-GUEST", "hvsock-client ok mode=echo streams=1 bytes=262144");
    }

    [Fact]
    public async Task A_guest_client_echoes_through_a_host_listener()
    {
        CommandResult r = await RunAsync();
        AssertLineStarts(r, "GUEST-TO-HOST", "vsock-client ok mode=echo streams=1 bytes=262144");
    }

    [Fact]
    public async Task A_hundred_concurrent_one_mebibyte_streams_arrive_intact()
    {
        CommandResult r = await RunAsync();
        AssertLineStarts(r, "HOST-STREAMS", "hvsock-client ok mode=echo streams=100 bytes=1048576");
    }

    [Fact]
    public async Task Connections_to_ports_nobody_listens_on_are_refused_both_ways()
    {
        CommandResult r = await RunAsync();
        Assert.Contains("instead of OK", Line(r, "HOST-TO-NOWHERE"));
        Assert.Contains("FAILED", Line(r, "GUEST-TO-NOWHERE"));
        Assert.Equal("0", Line(r, "VMM-EXIT"));
        Assert.Contains("KATASHARP-VSOCK-DONE", r.Stdout);
    }
}
