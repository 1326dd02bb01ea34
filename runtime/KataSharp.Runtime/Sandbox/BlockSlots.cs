using KataSharp.Runtime.Model;

namespace KataSharp.Runtime.Sandbox;

/// <summary>
/// The one record of the pod's spare virtio-blk slots ([hypervisor.katasharp] block_slots, all empty at boot): which slot
/// holds which medium, under which serial, for whom. virtio-mmio has no hotplug, so a layer image or a host block device
/// is "attached" by a media change into a free slot. A layer image is read-only and shared: the containers using it hold
/// one slot, emptied when the last lets go. A host block device is one container's (read-only or read-write, as its mount
/// asks) and leaves with it. Every insert gets a fresh serial, so the guest never takes a slot's new medium for the previous one.
/// Slot changes, the VM's call included, happen under this object's lock: once <see cref="MediaGone"/> returns, nothing
/// touches the VM's slots again, and releases only update the record.
/// </summary>
public sealed class BlockSlots
{
    private readonly IBlockMedia _media;
    private readonly Medium?[] _slots;
    private long _generation;
    private bool _mediaGone;

    public BlockSlots(int count, IBlockMedia media)
    {
        if (count < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(count), count, "a sandbox needs at least one block slot");
        }
        _slots = new Medium?[count];
        _media = media;
    }

    public int Count => _slots.Length;

    public int InUse
    {
        get
        {
            lock (_slots)
            {
                return _slots.Count(m => m is not null);
            }
        }
    }

    public static string NameOf(int slot) => $"layer{slot}";

    /// <summary>Device names of <paramref name="count"/> slots, in the order the VM creates them (the guest sees vda, vdb, ...).</summary>
    public static IEnumerable<string> Names(int count) => Enumerable.Range(0, count).Select(NameOf);

    /// <summary>
    /// <paramref name="containerId"/> uses the layer image: it shares the slot the image is in already, or the image goes
    /// read-only into a free one (<c>Inserted</c>). No free slot: FailedPrecondition naming block_slots.
    /// </summary>
    public (string Slot, AttachedLayer Layer, bool Inserted) AttachLayer(string containerId, string imagePath)
    {
        lock (_slots)
        {
            int slot = Array.FindIndex(_slots, m => m is { IsLayer: true } && m.Path == imagePath);
            bool inserted = slot < 0;
            if (inserted)
            {
                slot = Insert(imagePath, readOnly: true, isLayer: true);
            }
            Medium medium = _slots[slot]!;
            medium.Holders.Add(containerId);
            return (NameOf(slot), new AttachedLayer(imagePath, medium.Serial), inserted);
        }
    }

    /// <summary>
    /// <paramref name="containerId"/> lets go of the layer with <paramref name="serial"/>; true when that emptied its slot (no
    /// container uses the image any more). A serial not in a slot, or not held by the container, changes nothing.
    /// </summary>
    public bool ReleaseLayer(string containerId, string serial)
    {
        lock (_slots)
        {
            int slot = Array.FindIndex(_slots, m => m is { IsLayer: true } && m.Serial == serial);
            if (slot < 0 || !_slots[slot]!.Holders.Remove(containerId) || _slots[slot]!.Holders.Count > 0)
            {
                return false;
            }
            Eject(slot);
            return true;
        }
    }

    /// <summary>
    /// A host block device for <paramref name="containerId"/> alone, in a free slot: read-only when <paramref name="readOnly"/>
    /// (the VMM refuses guest writes), read-write otherwise (the VMM opens it O_EXCL). Returns the slot and the guest's serial.
    /// </summary>
    public (string Slot, string Serial) AttachDevice(string containerId, string devicePath, bool readOnly)
    {
        lock (_slots)
        {
            int slot = Insert(devicePath, readOnly, isLayer: false);
            Medium medium = _slots[slot]!;
            medium.Holders.Add(containerId);
            return (NameOf(slot), medium.Serial);
        }
    }

    /// <summary>Empties the slots of <paramref name="containerId"/>'s host block devices (ending the host's exclusive claim).
    /// Every slot is emptied even when the VM refuses one; the first refusal is thrown after.</summary>
    public void ReleaseDevices(string containerId)
    {
        lock (_slots)
        {
            Exception? first = null;
            for (int slot = 0; slot < _slots.Length; slot++)
            {
                if (_slots[slot] is { IsLayer: false } medium && medium.Holders.Contains(containerId))
                {
                    try
                    {
                        Eject(slot);
                    }
                    catch (Exception e)
                    {
                        first ??= e;
                    }
                }
            }
            if (first is not null)
            {
                throw first;
            }
        }
    }

    /// <summary>The VM is gone, and every medium with it: from now on nothing is inserted, and releases only update the record.</summary>
    public void MediaGone()
    {
        lock (_slots)
        {
            _mediaGone = true;
        }
    }

    /// <summary>A free slot with the medium in it, under a serial unique for the life of the pod (at most 20 bytes).
    /// The slot is taken only once the VM has the medium: a failed insert leaves it free.</summary>
    private int Insert(string path, bool readOnly, bool isLayer)
    {
        if (_mediaGone)
        {
            throw new RuntimeException(RuntimeError.Unavailable, "the sandbox VM is not running");
        }
        int slot = Array.IndexOf(_slots, null);
        if (slot < 0)
        {
            throw new RuntimeException(RuntimeError.FailedPrecondition,
                $"every one of the sandbox's {_slots.Length} block slots is in use: raise [hypervisor.katasharp] block_slots (distinct image layers and host block devices per pod)");
        }
        string serial = $"ks{slot}g{++_generation}";
        _media.InsertMedium(NameOf(slot), path, serial, readOnly);
        _slots[slot] = new Medium(path, serial, isLayer);
        return slot;
    }

    /// <summary>The slot is free afterwards whatever the VM answers: its medium belongs to nobody any more.</summary>
    private void Eject(int slot)
    {
        _slots[slot] = null;
        if (!_mediaGone)
        {
            _media.EjectMedium(NameOf(slot));
        }
    }

    private sealed record Medium(string Path, string Serial, bool IsLayer)
    {
        public HashSet<string> Holders { get; } = new(StringComparer.Ordinal);
    }
}
