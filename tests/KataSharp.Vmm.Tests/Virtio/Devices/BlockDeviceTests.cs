using System.Buffers.Binary;
using KataSharp.Vmm.Memory;
using KataSharp.Vmm.Tests.Virtio.Support;
using KataSharp.Vmm.Virtio;
using KataSharp.Vmm.Virtio.Devices.Block;
using KataSharp.Vmm.Virtio.Transport;
using Xunit;

namespace KataSharp.Vmm.Tests.Virtio.Devices;

public sealed class BlockDeviceTests : IDisposable
{
    private const long DiskSize = 64 * 1024;

    private readonly TempFiles _files = new();
    private readonly string _disk;

    public BlockDeviceTests()
    {
        _disk = _files.CreateFile("disk.img", DiskSize, i => (byte)(i * 7 + i / 512));
    }

    public void Dispose() => _files.Dispose();

    private static byte Expected(long i) => (byte)(i * 7 + i / 512);

    private FakeDriver Start(bool readOnly = false, string? serial = "serial-1", string? path = "default", ushort queueSize = 16)
    {
        string? media = path == "default" ? _disk : path;
        return new FakeDriver(() => new BlockDevice("blk-test", readOnly, serial, media, _ => { })).Initialize(queueSize: queueSize);
    }

    /// <summary>Submits one request laid out like Linux: header (readable), data, status (writable) in separate buffers.</summary>
    private static (ushort Head, GuestAddress Data, GuestAddress Status) Submit(FakeDriver driver, BlockRequestType type, ulong sector, int dataLength, bool dataWritable, byte[]? payload = null)
    {
        GuestAddress header = driver.Allocate(16);
        driver.Memory.Write(header, (uint)type);
        driver.Memory.Write(header.Add(8), sector);
        GuestAddress data = driver.Allocate((ulong)Math.Max(dataLength, 1));
        if (payload is not null)
        {
            driver.Memory.Write(data, payload);
        }
        GuestAddress status = driver.Allocate(1);
        driver.Memory.Write(status, (byte)0xFF);
        var buffers = new List<(ulong, uint, bool)> { (header.Value, 16, false) };
        if (dataLength > 0)
        {
            buffers.Add((data.Value, (uint)dataLength, dataWritable));
        }
        buffers.Add((status.Value, 1, true));
        ushort head = driver.Queues[0].AddChain(buffers.ToArray());
        return (head, data, status);
    }

    private static (uint Id, uint Length) Complete(FakeDriver driver)
    {
        driver.Transport.ProcessQueueNow(0);
        return Assert.Single(driver.Queues[0].TakeUsed());
    }

    private static BlockStatus StatusAt(FakeDriver driver, GuestAddress status) => (BlockStatus)driver.Memory.Read<byte>(status);

    [Fact]
    public void Config_reports_capacity_limits_and_block_size()
    {
        using FakeDriver driver = Start();
        byte[] config = driver.ReadConfig(0, BlockConfig.Size);
        Assert.Equal((ulong)DiskSize / 512, BinaryPrimitives.ReadUInt64LittleEndian(config));
        Assert.Equal(BlockConfig.SegmentSizeMax, BinaryPrimitives.ReadUInt32LittleEndian(config.AsSpan(8)));
        Assert.Equal(BlockConfig.SegmentsMax, BinaryPrimitives.ReadUInt32LittleEndian(config.AsSpan(12)));
        Assert.Equal(512u, BinaryPrimitives.ReadUInt32LittleEndian(config.AsSpan(20)));
        ulong features = driver.Device.AckedFeatures;
        Assert.Equal(BlockFeatures.Flush | BlockFeatures.SegMax | BlockFeatures.SizeMax | BlockFeatures.BlockSize, features & 0xFFFF_FFFF & ~VirtioFeatures.Common);
        Assert.Equal((uint)VirtioDeviceType.Block, driver.Read(MmioRegister.DeviceId));
    }

    [Fact]
    public void A_read_only_slot_offers_the_ro_feature()
    {
        using FakeDriver driver = Start(readOnly: true);
        Assert.NotEqual(0UL, driver.Device.AckedFeatures & BlockFeatures.ReadOnly);
    }

    [Fact]
    public void Read_returns_the_file_contents_at_the_sector()
    {
        using FakeDriver driver = Start();
        var (head, data, status) = Submit(driver, BlockRequestType.In, 3, 1024, dataWritable: true);

        Assert.Equal((head, 1025u), Complete(driver));
        Assert.Equal(BlockStatus.Ok, StatusAt(driver, status));
        byte[] read = driver.Memory.GetSpan(data, 1024).ToArray();
        for (int i = 0; i < read.Length; i++)
        {
            Assert.Equal(Expected(3 * 512 + i), read[i]);
        }
    }

    [Fact]
    public void Any_descriptor_layout_works_header_data_and_status_in_one_chain_of_odd_pieces()
    {
        using FakeDriver driver = Start();
        // Header split 5+11, data split 100+412+512, status in the same buffer as the data tail.
        GuestAddress header = driver.Allocate(16);
        driver.Memory.Write(header, (uint)BlockRequestType.In);
        driver.Memory.Write(header.Add(8), 1UL);
        GuestAddress a = driver.Allocate(100);
        GuestAddress b = driver.Allocate(412);
        GuestAddress c = driver.Allocate(513);
        ushort head = driver.Queues[0].AddChain(
            (header.Value, 5, false), (header.Value + 5, 11, false),
            (a.Value, 100, true), (b.Value, 412, true), (c.Value, 513, true));

        Assert.Equal((head, 1025u), Complete(driver));
        Assert.Equal(Expected(512), driver.Memory.Read<byte>(a));
        Assert.Equal(Expected(512 + 100), driver.Memory.Read<byte>(b));
        Assert.Equal(Expected(512 + 512 + 511), driver.Memory.Read<byte>(c.Add(511)));
        Assert.Equal((byte)BlockStatus.Ok, driver.Memory.Read<byte>(c.Add(512)));
    }

    [Fact]
    public void Write_reaches_the_file_and_flush_succeeds()
    {
        using FakeDriver driver = Start();
        byte[] payload = Enumerable.Range(0, 1024).Select(i => (byte)(255 - i % 256)).ToArray();
        var (_, _, status) = Submit(driver, BlockRequestType.Out, 10, 1024, dataWritable: false, payload);
        Assert.Equal(1u, Complete(driver).Length);
        Assert.Equal(BlockStatus.Ok, StatusAt(driver, status));

        var (_, _, flushStatus) = Submit(driver, BlockRequestType.Flush, 0, 0, false);
        Complete(driver);
        Assert.Equal(BlockStatus.Ok, StatusAt(driver, flushStatus));

        byte[] file = File.ReadAllBytes(_disk);
        Assert.Equal(payload, file.AsSpan(10 * 512, 1024).ToArray());
        Assert.Equal(Expected(10 * 512 - 1), file[10 * 512 - 1]);
        var metrics = ((BlockDevice)driver.Device).Metrics;
        Assert.Equal((1L, 1L, 1024L), (metrics.Writes, metrics.Flushes, metrics.BytesWritten));
    }

    [Fact]
    public void Writes_to_a_read_only_slot_fail_with_ioerr_and_change_nothing()
    {
        using FakeDriver driver = Start(readOnly: true);
        var (_, _, status) = Submit(driver, BlockRequestType.Out, 0, 512, dataWritable: false, new byte[512]);
        Assert.Equal(1u, Complete(driver).Length);
        Assert.Equal(BlockStatus.IoError, StatusAt(driver, status));
        Assert.Equal(Expected(0..512), File.ReadAllBytes(_disk).AsSpan(0, 512).ToArray());
    }

    private static byte[] Expected(Range range)
    {
        var (start, length) = range.GetOffsetAndLength(int.MaxValue);
        return Enumerable.Range(start, length).Select(i => Expected(i)).ToArray();
    }

    [Theory]
    [InlineData(DiskSize / 512, 512, "starting at the capacity")]
    [InlineData(DiskSize / 512 - 1, 1024, "running past the end")]
    [InlineData(ulong.MaxValue, 512, "a sector whose byte offset overflows")]
    [InlineData(ulong.MaxValue / 512 + 1, 512, "a sector just past the 64-bit byte range")]
    [InlineData(0UL, 100, "a length that is not whole sectors")]
    public void Out_of_range_or_partial_sector_requests_fail_with_ioerr(ulong sector, int length, string why)
    {
        using FakeDriver driver = Start();
        var (_, data, status) = Submit(driver, BlockRequestType.In, sector, length, dataWritable: true);
        Complete(driver);
        Assert.True(StatusAt(driver, status) == BlockStatus.IoError, why);
        Assert.Equal(0, driver.Memory.Read<byte>(data));
    }

    [Fact]
    public void Get_id_answers_the_serial_padded_to_20_bytes()
    {
        using FakeDriver driver = Start(serial: "abc");
        var (_, data, status) = Submit(driver, BlockRequestType.GetId, 0, 20, dataWritable: true);
        Assert.Equal(21u, Complete(driver).Length);
        Assert.Equal(BlockStatus.Ok, StatusAt(driver, status));
        Assert.Equal("abc"u8.ToArray().Concat(new byte[17]).ToArray(), driver.Memory.GetSpan(data, 20).ToArray());
    }

    [Fact]
    public void Unknown_request_types_answer_unsupported()
    {
        using FakeDriver driver = Start();
        var (_, _, status) = Submit(driver, (BlockRequestType)11, 0, 16, dataWritable: false);
        Complete(driver);
        Assert.Equal(BlockStatus.Unsupported, StatusAt(driver, status));
    }

    [Fact]
    public void A_request_without_header_or_status_is_returned_unused()
    {
        using FakeDriver driver = Start();
        GuestAddress small = driver.Allocate(8);
        ushort head = driver.Queues[0].AddChain((small.Value, 8, false), (small.Value, 1, true));
        Assert.Equal((head, 0u), Complete(driver));
        GuestAddress header = driver.Allocate(16);
        head = driver.Queues[0].AddChain((header.Value, 16, false));
        Assert.Equal((head, 0u), Complete(driver));
        Assert.False(driver.Device.IsFailed);
    }

    [Fact]
    public void An_empty_slot_has_no_capacity_and_fails_io_until_media_arrives()
    {
        using FakeDriver driver = Start(path: null, serial: "slot-3");
        var device = (BlockDevice)driver.Device;
        Assert.Equal(0UL, BinaryPrimitives.ReadUInt64LittleEndian(driver.ReadConfig(0, 8)));
        var (_, _, status) = Submit(driver, BlockRequestType.In, 0, 512, dataWritable: true);
        Complete(driver);
        Assert.Equal(BlockStatus.IoError, StatusAt(driver, status));

        driver.AcknowledgeInterrupt();
        uint generation = driver.Read(MmioRegister.ConfigGeneration);
        int interrupts = driver.Interrupt.Count;
        device.Attach(_disk, serial: "container-rootfs");

        Assert.Equal(generation + 1, driver.Read(MmioRegister.ConfigGeneration));
        Assert.Equal(interrupts + 1, driver.Interrupt.Count);
        Assert.Equal(InterruptStatus.ConfigChange, driver.AcknowledgeInterrupt());
        Assert.Equal((ulong)DiskSize / 512, BinaryPrimitives.ReadUInt64LittleEndian(driver.ReadConfig(0, 8)));
        var (_, data, readStatus) = Submit(driver, BlockRequestType.In, 0, 512, dataWritable: true);
        Complete(driver);
        Assert.Equal(BlockStatus.Ok, StatusAt(driver, readStatus));
        Assert.Equal(Expected(0..512), driver.Memory.GetSpan(data, 512).ToArray());
        var (_, id, _) = Submit(driver, BlockRequestType.GetId, 0, 20, dataWritable: true);
        Complete(driver);
        Assert.StartsWith("container-rootfs", System.Text.Encoding.ASCII.GetString(driver.Memory.GetSpan(id, 20)));

        device.Detach();
        Assert.Equal(0UL, BinaryPrimitives.ReadUInt64LittleEndian(driver.ReadConfig(0, 8)));
        Assert.Equal(interrupts + 2, driver.Interrupt.Count);
        Assert.Equal("slot-3", device.Serial);
        Assert.Null(device.MediaPath);
    }

    [Fact]
    public void Attaching_a_missing_file_names_it_and_keeps_the_old_medium()
    {
        using FakeDriver driver = Start();
        var device = (BlockDevice)driver.Device;
        var error = Assert.Throws<BlockDeviceException>(() => device.Attach(_files.PathOf("missing.img")));
        Assert.Contains("missing.img", error.Message);
        Assert.Contains("check the path", error.Message);
        Assert.Equal(_disk, device.MediaPath);
        Assert.Throws<BlockDeviceException>(() => device.Attach(_disk, serial: "this serial is far too long"));
    }

    [Fact]
    public async Task Swapping_media_under_load_never_mixes_two_files_in_one_request()
    {
        string a = _files.CreateFile("a.img", 1 << 20, _ => 0xAA);
        string b = _files.CreateFile("b.img", 1 << 20, _ => 0xBB);
        using FakeDriver driver = Start(path: a, queueSize: 64);
        var device = (BlockDevice)driver.Device;
        GuestAddress data = driver.Allocate(64 * 8192);
        GuestAddress headers = driver.Allocate(64 * 16);
        GuestAddress statuses = driver.Allocate(64);

        using var stop = new CancellationTokenSource();
        var swapper = Task.Run(() =>
        {
            for (int i = 0; !stop.IsCancellationRequested; i++)
            {
                device.Attach(i % 2 == 0 ? b : a);
            }
        });
        try
        {
            Eventually.True(() => device.Metrics.MediaChanges > 0, "the swapper to start");
            var clock = System.Diagnostics.Stopwatch.StartNew();
            for (int round = 0; round < 50 || (device.Metrics.MediaChanges < 100 && clock.Elapsed < TimeSpan.FromSeconds(20)); round++)
            {
                for (int i = 0; i < 32; i++)
                {
                    GuestAddress header = headers.Add((ulong)(16 * i));
                    driver.Memory.Write(header, (uint)BlockRequestType.In);
                    driver.Memory.Write(header.Add(8), (ulong)(i * 16));
                    driver.Queues[0].AddChain((header.Value, 16, false), (data.Value + (ulong)(8192 * i), 8192, true), (statuses.Value + (ulong)i, 1, true));
                }
                driver.Transport.ProcessQueueNow(0);
                Assert.Equal(32, driver.Queues[0].TakeUsed().Count);
                for (int i = 0; i < 32; i++)
                {
                    Assert.Equal(BlockStatus.Ok, StatusAt(driver, statuses.Add((ulong)i)));
                    ReadOnlySpan<byte> bytes = driver.Memory.GetSpan(data.Add((ulong)(8192 * i)), 8192);
                    Assert.True(bytes.IndexOfAnyExcept(bytes[0]) < 0, $"request {i} of round {round} mixes media");
                }
            }
        }
        finally
        {
            stop.Cancel();
            await swapper;
        }
        Assert.True(device.Metrics.MediaChanges >= 100, $"only {device.Metrics.MediaChanges} media changes happened during the reads");
    }
}
