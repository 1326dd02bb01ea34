using KataSharp.Vmm.Memory;
using KataSharp.Vmm.Tests.Virtio.Support;
using KataSharp.Vmm.Virtio.Devices.Block;

namespace KataSharp.Fuzz.Targets;

/// <summary>
/// virtio-blk over a 1 MiB file (read-only slot for odd seeds): requests of every type with any sector,
/// data lengths in and out of whole sectors up to several MiB (buffers overlapping freely), missing headers
/// and status bytes, and host-side media changes between requests.
/// </summary>
internal sealed class BlockTarget : DeviceTarget
{
    private const long DiskBytes = 1 << 20;

    private readonly string _directory;
    private readonly string _disk;
    private readonly string _otherDisk;

    public BlockTarget(int seed) : this(seed, Directory.CreateTempSubdirectory("ksfz-blk-").FullName)
    {
    }

    private BlockTarget(int seed, string directory)
        : base((_, log) => new BlockDevice("blk0", readOnly: seed % 2 != 0, serial: "fuzz", path: CreateDisk(directory, "a.img"), logSink: log))
    {
        _directory = directory;
        _disk = Path.Combine(directory, "a.img");
        _otherDisk = CreateDisk(directory, "b.img");
    }

    private BlockDevice Block => (BlockDevice)Fake.Device;

    protected override void WaitForDeviceThread()
    {
        if (!Block.WaitForWorkerIdle(TimeSpan.FromSeconds(10)))
        {
            throw new FuzzFindingException(FindingKind.Hang, $"block worker '{Block.WorkerName}' still busy after 10 s without guest input");
        }
    }

    private static string CreateDisk(string directory, string name)
    {
        string path = Path.Combine(directory, name);
        if (!File.Exists(path))
        {
            using FileStream file = File.Create(path);
            file.SetLength(DiskBytes);
        }
        return path;
    }

    protected override void DeviceAction(Random random)
    {
        int choice = random.Next(100);
        if (choice < 2)
        {
            ChangeMedium(random);
            return;
        }
        Driver.PostChain(random, 0, Request(random));
        Driver.Kick(random, 0);
    }

    private void ChangeMedium(Random random)
    {
        switch (random.Next(3))
        {
            case 0:
                Block.Detach();
                break;
            case 1:
                Block.Attach(random.Next(2) == 0 ? _disk : _otherDisk, random.Next(2) == 0 ? null : "other");
                break;
            default:
                try
                {
                    Block.Attach(Path.Combine(_directory, "missing.img"));
                }
                catch (BlockDeviceException)
                {
                    // Expected: the old medium stays.
                }
                break;
        }
    }

    /// <summary>A request as virtio_blk lays it out (header, data, status), bent in random ways.</summary>
    private List<(ulong, uint, bool)> Request(Random random)
    {
        BlockRequestType type = random.Next(10) switch
        {
            < 4 => BlockRequestType.In,
            < 7 => BlockRequestType.Out,
            7 => BlockRequestType.Flush,
            8 => BlockRequestType.GetId,
            _ => (BlockRequestType)random.Next(),
        };
        ulong capacity = DiskBytes / 512;
        ulong sector = random.Next(8) switch
        {
            0 => (ulong)random.NextInt64(),
            1 => ulong.MaxValue - (ulong)random.Next(0, 64),
            2 => capacity - (ulong)random.Next(0, 8),
            _ => (ulong)random.NextInt64(0, (long)capacity),
        };
        var buffers = new List<(ulong, uint, bool)>();
        if (random.Next(30) != 0)
        {
            GuestAddress header = Driver.Arena.Add((ulong)random.Next(0, 4096) * 16);
            Driver.Memory.Write(header, new BlockRequestHeader { Type = type, Sector = sector });
            buffers.Add((header.Value, random.Next(30) == 0 ? (uint)random.Next(0, 16) : 16, false));
        }
        int segments = random.Next(0, 5);
        bool dataIn = type != BlockRequestType.Out ^ random.Next(20) == 0;
        for (int i = 0; i < segments; i++)
        {
            uint length = random.Next(12) switch
            {
                0 => (uint)random.Next(1, 4096),                                        // not whole sectors
                1 => (uint)random.Next(1, 12) << 20,                                    // megabytes, overlapping
                2 => (uint)random.NextInt64(0, uint.MaxValue + 1L),
                _ => (uint)random.Next(1, 64) * 512,
            };
            ulong address = length > HostileDriverBytes ? Driver.Arena.Value : Driver.RandomAddress(random, length, strayOneIn: 40);
            buffers.Add((address, length, dataIn));
        }
        if (random.Next(30) != 0)
        {
            buffers.Add((Driver.RandomAddress(random, 1, strayOneIn: 40), random.Next(30) == 0 ? 0u : 1u, true));
        }
        return buffers;
    }

    private const uint HostileDriverBytes = (uint)KataSharp.Fuzz.Driver.HostileDriver.ArenaBytes / 2;

    protected override void CollectCoverage(Dictionary<string, long> coverage)
    {
        BlockMetrics metrics = Block.Metrics;
        coverage["reads"] = metrics.Reads;
        coverage["writes"] = metrics.Writes;
        coverage["bytes moved"] = metrics.BytesRead + metrics.BytesWritten;
        coverage["errors answered"] = metrics.Errors;
        coverage["media changes"] = metrics.MediaChanges;
    }

    public override void Dispose()
    {
        base.Dispose();
        Directory.Delete(_directory, recursive: true);
    }
}
