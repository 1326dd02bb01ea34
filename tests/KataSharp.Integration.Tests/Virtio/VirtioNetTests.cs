using KataSharp.TestHost;
using Xunit;

namespace KataSharp.Integration.Tests.Virtio;

/// <summary>
/// virtio-net with the real guest kernel in the test host: L1 makes a tap (10.0.2.1/24), katasharp-vmm
/// attaches it by name with a MAC and an MTU; the guest brings eth0 up at 10.0.2.2, pings L1, sends L1
/// 8 MiB over TCP and receives 8 MiB back (segmentation and checksum offloads both ways). One guest run;
/// each fact checks one part.
/// </summary>
[Collection(TestHostCollection.Name)]
public sealed class VirtioNetTests(TestHostFixture fixture)
{
    private const string Mac = "02:00:00:00:00:02";
    private const int Mtu = 1400;

    private const string GuestInit = VirtioGuest.GuestPrologue + """

        ip link set lo up
        ip link set eth0 up
        ip addr add 10.0.2.2/24 dev eth0
        echo "NET-LINK address=$(cat /sys/class/net/eth0/address) mtu=$(cat /sys/class/net/eth0/mtu)"
        echo "PING $(ping -c 3 -W 10 10.0.2.1 | grep 'packets transmitted')"
        head -c 8388608 /dev/urandom >/tmp/up
        echo "GUEST-UP-SHA $(sha256sum /tmp/up | cut -d' ' -f1)"
        nc 10.0.2.1 5000 </tmp/up
        echo "UPLOAD-EXIT $?"
        # busybox nc -l ends when its stdin does (hence the sleep), not when the peer closes: it is
        # stopped once the whole 8 MiB is here (or after 300 s, and the checksum then tells).
        sleep 600 | nc -l -p 5001 >/tmp/down &
        nc_pid=$!
        echo "KATASHARP-NET-READY-FOR-DOWNLOAD"
        i=0
        while [ "$(stat -c %s /tmp/down)" -lt 8388608 ] && [ $i -lt 3000 ]; do i=$((i+1)); sleep 0.1; done
        kill $nc_pid
        echo "GUEST-DOWN-SHA $(sha256sum /tmp/down | cut -d' ' -f1)"
        echo "KATASHARP-NET-DONE"
        reboot -f
        """;

    private static readonly SharedRun Run = new();

    /// <summary>The one guest run every fact reads (made by the first fact that asks).</summary>
    private Task<CommandResult> RunAsync() =>
        Run.GetAsync(async () => await BareVmRun.RunAsync(fixture, await HostScriptAsync(), VirtioGuest.RunTimeout));

    /// <summary>L1's side: the tap and its address, the TCP peers, katasharp-vmm with --net.</summary>
    private static async Task<string> HostScriptAsync()
    {
        (string vmm, string kernel, string initrd) = (await VirtioGuest.VmmAsync(), await VirtioGuest.VmlinuxAsync(), await VirtioGuest.InitrdAsync(GuestInit));
        return $$"""
            d=$(mktemp -d)
            cleanup() { kill $vmm_pid $listen_pid $tail_pid 2>/dev/null; ip link del kstap0 2>/dev/null; rm -rf $d; }
            trap cleanup EXIT
            ip tuntap add dev kstap0 mode tap vnet_hdr
            ip addr add 10.0.2.1/24 dev kstap0
            ip link set kstap0 up
            head -c 8388608 /dev/urandom >$d/down
            echo "HOST-DOWN-SHA $(sha256sum $d/down | cut -d' ' -f1)"
            sleep 1200 | busybox nc -l -p 5000 >$d/up &
            listen_pid=$!
            {{vmm}} --kernel {{kernel}} --initrd {{initrd}} --memory 256 \
              --net tap=kstap0,mac={{Mac}},mtu={{Mtu}} >$d/console 2>$d/stderr &
            vmm_pid=$!
            # The console goes to our stdout as it comes, so a timeout still shows how far the guest got.
            tail -f $d/console &
            tail_pid=$!
            i=0
            until grep -q KATASHARP-NET-READY-FOR-DOWNLOAD $d/console; do
              kill -0 $vmm_pid 2>/dev/null || break
              i=$((i+1)); [ $i -lt 6000 ] || break
              sleep 0.2
            done
            # The guest's listener starts right after the marker: retry the connection briefly.
            for i in $(seq 50); do
              busybox nc 10.0.2.2 5001 <$d/down && break
              sleep 0.2
            done
            wait $vmm_pid
            echo "VMM-EXIT $?"
            echo "HOST-UP-SHA $(sha256sum $d/up | cut -d' ' -f1)"
            echo "TAP-STATS $(ip -s -o link show dev kstap0)"
            sleep 1
            cat $d/stderr >&2
            """;
    }

    [Fact]
    public async Task The_guest_sees_eth0_with_the_mac_and_mtu_given_to_the_vmm()
    {
        CommandResult r = await RunAsync();
        Assert.Equal($"address={Mac} mtu={Mtu}", VirtioGuest.Line(r, "NET-LINK"));
    }

    [Fact]
    public async Task The_guest_pings_the_l1_side_of_the_tap()
    {
        CommandResult r = await RunAsync();
        Assert.StartsWith("3 packets transmitted, 3 packets received", VirtioGuest.Line(r, "PING"));
    }

    [Fact]
    public async Task Eight_mebibytes_from_the_guest_arrive_intact_over_tcp()
    {
        CommandResult r = await RunAsync();
        Assert.Equal("0", VirtioGuest.Line(r, "UPLOAD-EXIT"));
        Assert.Equal(VirtioGuest.Line(r, "GUEST-UP-SHA"), VirtioGuest.Line(r, "HOST-UP-SHA"));
    }

    [Fact]
    public async Task Eight_mebibytes_to_the_guest_arrive_intact_over_tcp()
    {
        CommandResult r = await RunAsync();
        Assert.Equal(VirtioGuest.Line(r, "HOST-DOWN-SHA"), VirtioGuest.Line(r, "GUEST-DOWN-SHA"));
        Assert.Equal("0", VirtioGuest.Line(r, "VMM-EXIT"));
        Assert.Contains("KATASHARP-NET-DONE", r.Stdout);
    }
}
