using KataSharp.Runtime.Model;

namespace KataSharp.Shim.Backend;

/// <summary>
/// The pod's spare virtio-blk slots ([hypervisor.katasharp] block_slots, all empty at boot).
/// virtio-mmio has no hotplug, so a layer (or a host block device a container binds) is "attached" by
/// putting its image into a free slot (media change). Every attach gets a fresh serial, so the guest can never mistake a slot's new
/// medium for the previous one.
/// </summary>
public sealed class BlockSlotPool
{
    private readonly bool[] _used;
    private long _generation;

    public BlockSlotPool(int slots)
    {
        if (slots < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(slots), slots, "a sandbox needs at least one block slot");
        }
        _used = new bool[slots];
    }

    public int Count => _used.Length;

    public int InUse
    {
        get
        {
            lock (_used)
            {
                return _used.Count(u => u);
            }
        }
    }

    /// <summary>Device names of the slots, in the order they are created (the guest sees vda, vdb, ...).</summary>
    public IEnumerable<string> Names => Enumerable.Range(0, _used.Length).Select(NameOf);

    public static string NameOf(int slot) => $"layer{slot}";

    /// <summary>Takes a free slot; the serial is unique for the life of the pool (at most 20 bytes).</summary>
    public (string Name, string Serial) Acquire()
    {
        lock (_used)
        {
            int slot = Array.IndexOf(_used, false);
            if (slot < 0)
            {
                throw new RuntimeException(RuntimeError.FailedPrecondition,
                    $"every one of the sandbox's {_used.Length} block slots is in use: raise [hypervisor.katasharp] block_slots (distinct image layers and host block devices per pod)");
            }
            _used[slot] = true;
            return (NameOf(slot), $"ks{slot}g{++_generation}");
        }
    }

    public void Release(string name)
    {
        lock (_used)
        {
            int slot = Enumerable.Range(0, _used.Length).FirstOrDefault(i => NameOf(i) == name, -1);
            if (slot < 0 || !_used[slot])
            {
                throw new InvalidOperationException($"block slot '{name}' is not in use");
            }
            _used[slot] = false;
        }
    }
}
