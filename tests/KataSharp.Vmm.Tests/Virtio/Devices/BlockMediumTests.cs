using KataSharp.Linux.Files;
using KataSharp.Vmm.Memory;
using KataSharp.Vmm.Tests.Virtio.Support;
using KataSharp.Vmm.Virtio.Devices.Block;
using Xunit;

namespace KataSharp.Vmm.Tests.Virtio.Devices;

/// <summary>
/// How a medium is opened and sized (regular file or host block device), and read-only media in writable slots (a
/// sandbox's slots hold read-only layers and host block devices read-only or read-write, as their mount asks).
/// </summary>
public sealed class BlockMediumTests : IDisposable
{
    private readonly TempFiles _files = new();

    public void Dispose() => _files.Dispose();

    [Theory]
    [InlineData(true, false, OpenFlags.ReadOnly)]
    [InlineData(true, true, OpenFlags.ReadOnly)]
    [InlineData(false, false, OpenFlags.ReadWrite)]
    [InlineData(false, true, OpenFlags.ReadWrite | OpenFlags.Exclusive)]
    public void Only_a_block_device_opened_read_write_is_opened_exclusively(bool readOnly, bool blockDevice, OpenFlags expected) =>
        Assert.Equal(expected, FileBlockBackend.OpenFlagsFor(readOnly, blockDevice));

    [Fact]
    public void A_regular_file_is_sized_by_seeking_to_its_end_even_when_sparse()
    {
        string path = _files.PathOf("sparse.img");
        using (var file = File.Create(path))
        {
            file.SetLength(8 << 20); // no block allocated: only the length says how big it is
        }
        using var backend = FileBlockBackend.Open(path, readOnly: true);
        Assert.Equal(8L << 20, backend.SizeBytes);
        Assert.Equal((ulong)(8 << 20) / 512, backend.CapacitySectors);
    }

    [Fact]
    public void A_block_device_node_is_recognised_by_stat_and_opens_read_only_with_its_device_size()
    {
        // Any block device node of the host will do (a loop device when the kernel has them); reading needs root.
        string? node = Directory.Exists("/dev") ? Directory.EnumerateFiles("/dev").FirstOrDefault(p => FileNode.TryOf(p)?.IsBlockDevice == true) : null;
        if (node is null || Environment.UserName != "root")
        {
            return; // nothing to look at without a block device node and root
        }
        FileNode stat = FileNode.Of(node);
        Assert.Equal(FileKind.BlockDevice, stat.Kind);
        Assert.Equal(0L, new FileInfo(node).Length); // st_size: 0 for a device node, so it cannot size the medium
        using var backend = FileBlockBackend.Open(node, readOnly: true);
        using var fd = FileDescriptor.Open(node, (int)OpenFlags.ReadOnly);
        Assert.Equal(fd.GetSize(), backend.SizeBytes);
        Assert.True(backend.IsReadOnly);
    }

    [Theory]
    [InlineData(0x2000u, 0x103UL, FileKind.CharacterDevice, 1u, 3u)] // /dev/null
    [InlineData(0x6000u, 0x703UL, FileKind.BlockDevice, 7u, 3u)] // /dev/loop3
    [InlineData(0x6000u, 0x1_0041_03f4UL, FileKind.BlockDevice, 259u, 0x1004f4u)] // glibc's makedev(259, 0x1004f4): the minor's high bits sit above bit 20
    [InlineData(0x8000u, 0x703UL, FileKind.Regular, 0u, 0u)] // st_rdev means nothing for a regular file
    [InlineData(0x4000u, 0UL, FileKind.Directory, 0u, 0u)]
    public void FileNode_splits_st_rdev_as_glibc_does(uint mode, ulong rdev, FileKind kind, uint major, uint minor) =>
        Assert.Equal(new FileNode(kind, major, minor), FileNode.From(mode | 0x1b0, rdev));

    [Fact]
    public void FileNode_of_real_paths()
    {
        Assert.Equal(new FileNode(FileKind.CharacterDevice, 1, 3), FileNode.Of("/dev/null"));
        Assert.Equal(FileKind.Directory, FileNode.Of(_files.Directory).Kind);
        Assert.Null(FileNode.TryOf(_files.PathOf("missing")));
    }

    [Fact]
    public void A_writable_slot_takes_a_read_only_medium_whose_writes_fail_with_ioerr_then_a_read_write_one()
    {
        string first = _files.CreateFile("ro.img", 4096, _ => 0x5a);
        string second = _files.CreateFile("rw.img", 4096, _ => 0x00);
        using FakeDriver driver = new FakeDriver(() => new BlockDevice("blk-test", readOnly: false, "slot-0", path: null, _ => { })).Initialize(queueSize: 16);
        var device = (BlockDevice)driver.Device;

        device.Attach(first, "dev-ro", readOnly: true);
        Assert.True(device.MediaIsReadOnly);
        Assert.Equal(BlockStatus.IoError, Write(driver, 0xff));
        Assert.All(File.ReadAllBytes(first), b => Assert.Equal(0x5a, b));

        device.Attach(second, "dev-rw", readOnly: false);
        Assert.False(device.MediaIsReadOnly);
        Assert.Equal(BlockStatus.Ok, Write(driver, 0xff));
        Assert.All(File.ReadAllBytes(second).AsSpan(0, 512).ToArray(), b => Assert.Equal(0xff, b));
    }

    [Fact]
    public void A_read_only_slot_refuses_a_read_write_medium_and_keeps_the_old_one()
    {
        string disk = _files.CreateFile("disk.img", 4096, _ => 1);
        using var device = new BlockDevice("blk-ro", readOnly: true, "slot-1", path: disk, _ => { });
        var error = Assert.Throws<BlockDeviceException>(() => device.Attach(disk, "x", readOnly: false));
        Assert.Contains("read-only", error.Message);
        Assert.Equal(disk, device.MediaPath);
        device.Attach(disk, "y"); // the slot's default: read-only
        Assert.True(device.MediaIsReadOnly);
    }

    /// <summary>One 512-byte OUT request at sector 0 filled with <paramref name="fill"/>; its status.</summary>
    private static BlockStatus Write(FakeDriver driver, byte fill)
    {
        GuestAddress header = driver.Allocate(16);
        driver.Memory.Write(header, (uint)BlockRequestType.Out);
        driver.Memory.Write(header.Add(8), 0UL);
        GuestAddress data = driver.Allocate(512);
        driver.Memory.Write(data, Enumerable.Repeat(fill, 512).ToArray());
        GuestAddress status = driver.Allocate(1);
        driver.Queues[0].AddChain((header.Value, 16, false), (data.Value, 512, false), (status.Value, 1, true));
        driver.Transport.ProcessQueueNow(0);
        driver.Queues[0].TakeUsed();
        return (BlockStatus)driver.Memory.Read<byte>(status);
    }
}
