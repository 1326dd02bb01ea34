using System.Text.RegularExpressions;
using KataSharp.TestHost;
using Xunit;

namespace KataSharp.Integration.Tests.Virtio;

/// <summary>
/// virtio-blk with the real guest kernel in the test host: one guest run with an ext4 and an erofs image
/// attached read-only, a read-write scratch disk, and an empty slot that the host fills through
/// katasharp-vmm's control socket after the guest says it is ready. Each fact checks one part of that run.
/// </summary>
[Collection(TestHostCollection.Name)]
public sealed partial class VirtioBlockTests(TestHostFixture fixture)
{
    private const string GuestInit = VirtioGuest.GuestPrologue + """

        for d in vda vdb vdc vdd; do
          echo "BLK-INFO $d serial=$(cat /sys/block/$d/serial) size=$(cat /sys/block/$d/size) ro=$(cat /sys/block/$d/ro)"
        done
        mkdir -p /mnt/ext4 /mnt/erofs /mnt/late
        mount -t ext4 -o ro /dev/vda /mnt/ext4 && echo "EXT4-FILE $(cat /mnt/ext4/hello.txt)"
        echo "EXT4-SHA $(sha256sum /mnt/ext4/big.bin | cut -d' ' -f1)"
        mount -t erofs -o ro /dev/vdb /mnt/erofs && echo "EROFS-FILE $(cat /mnt/erofs/hello.txt)"
        echo "EROFS-SHA $(sha256sum /mnt/erofs/big.bin | cut -d' ' -f1)"
        if dd if=/dev/zero of=/dev/vda bs=512 count=1 conv=fsync 2>/tmp/dd.err; then
          echo "RO-WRITE succeeded"
        else
          echo "RO-WRITE refused: $(cat /tmp/dd.err | head -n1)"
        fi
        echo "KATASHARP-SCRATCH-PATTERN" | dd of=/dev/vdc bs=512 seek=8 conv=fsync 2>/dev/null && echo "SCRATCH-WRITTEN"
        sync
        echo "KATASHARP-READY-FOR-ATTACH"
        i=0
        while [ "$(cat /sys/block/vdd/size)" = 0 ] && [ $i -lt 3000 ]; do sleep 0.1; i=$((i+1)); done
        echo "LATE-DISK serial=$(cat /sys/block/vdd/serial) size=$(cat /sys/block/vdd/size)"
        mount -t ext4 -o ro /dev/vdd /mnt/late && echo "LATE-FILE $(cat /mnt/late/hello.txt)"
        echo "KATASHARP-BLK-DONE"
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
            set -e
            d=$(mktemp -d)
            trap 'kill $vmm_pid 2>/dev/null; rm -rf $d' EXIT
            mkdir $d/ext4 $d/erofs $d/late
            echo "hello from ext4" >$d/ext4/hello.txt
            echo "hello from erofs" >$d/erofs/hello.txt
            echo "hello from the late disk" >$d/late/hello.txt
            head -c 3000000 /dev/urandom >$d/ext4/big.bin
            cp $d/ext4/big.bin $d/erofs/big.bin
            mkfs.ext4 -q -d $d/ext4 $d/ext4.img 16M >/dev/null
            mkfs.erofs $d/erofs.img $d/erofs >/dev/null
            mkfs.ext4 -q -d $d/late $d/late.img 4M >/dev/null
            truncate -s 4M $d/scratch.img
            echo "HOST-SHA $(sha256sum $d/ext4/big.bin | cut -d' ' -f1)"
            {{vmm}} --kernel {{kernel}} --initrd {{initrd}} --memory 256 \
              --disk $d/ext4.img,ro,serial=ext4-disk --disk $d/erofs.img,ro,serial=erofs-disk \
              --disk $d/scratch.img,serial=scratch-disk --disk empty,ro,serial=empty-slot,name=late \
              --control $d/ctl >$d/console 2>$d/stderr &
            vmm_pid=$!
            # The console goes to our stdout as it comes, so a timeout still shows how far the guest got.
            tail -f $d/console &
            tail_pid=$!
            trap 'kill $vmm_pid $tail_pid 2>/dev/null; rm -rf $d' EXIT
            i=0
            until grep -q KATASHARP-READY-FOR-ATTACH $d/console; do
              kill -0 $vmm_pid 2>/dev/null || break
              i=$((i+1)); [ $i -lt 3000 ] || break
              sleep 0.2
            done
            echo "CONTROL $({{tool}} vmm-control $d/ctl attach late $d/late.img late-serial)"
            set +e
            wait $vmm_pid
            echo "VMM-EXIT $?"
            sleep 1
            kill $tail_pid
            cat $d/stderr >&2
            echo "HOST-SCRATCH $(dd if=$d/scratch.img bs=512 skip=8 count=1 2>/dev/null | head -c 25)"
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
    public async Task The_guest_sees_every_disk_with_its_serial_size_and_read_only_flag()
    {
        CommandResult r = await RunAsync();
        Assert.Equal("0", Line(r, "VMM-EXIT"));
        Assert.Equal("serial=ext4-disk size=32768 ro=1", Line(r, "BLK-INFO vda"));
        Assert.Matches(@"^serial=erofs-disk size=\d+ ro=1$", Line(r, "BLK-INFO vdb"));
        Assert.Equal("serial=scratch-disk size=8192 ro=0", Line(r, "BLK-INFO vdc"));
        Assert.Equal("serial=empty-slot size=0 ro=1", Line(r, "BLK-INFO vdd"));
    }

    [Fact]
    public async Task Ext4_and_erofs_images_attached_read_only_mount_and_read_back_intact()
    {
        CommandResult r = await RunAsync();
        Assert.Equal("hello from ext4", Line(r, "EXT4-FILE"));
        Assert.Equal("hello from erofs", Line(r, "EROFS-FILE"));
        string hostSha = Line(r, "HOST-SHA");
        Assert.Equal(hostSha, Line(r, "EXT4-SHA"));
        Assert.Equal(hostSha, Line(r, "EROFS-SHA"));
    }

    [Fact]
    public async Task A_write_to_a_read_only_disk_fails_in_the_guest()
    {
        CommandResult r = await RunAsync();
        AssertLineStarts(r, "RO-WRITE", "refused");
    }

    [Fact]
    public async Task Writes_to_the_scratch_disk_are_on_the_host_after_shutdown()
    {
        CommandResult r = await RunAsync();
        Assert.Equal("", Line(r, "SCRATCH-WRITTEN"));
        Assert.Equal("KATASHARP-SCRATCH-PATTERN", Line(r, "HOST-SCRATCH"));
    }

    [Fact]
    public async Task A_disk_attached_after_boot_shows_up_with_its_serial_and_size()
    {
        CommandResult r = await RunAsync();
        Assert.Equal("OK", Line(r, "CONTROL"));
        Assert.Equal("serial=late-serial size=8192", Line(r, "LATE-DISK"));
        Assert.Equal("hello from the late disk", Line(r, "LATE-FILE"));
        Assert.Contains("KATASHARP-BLK-DONE", r.Stdout);
    }
}
