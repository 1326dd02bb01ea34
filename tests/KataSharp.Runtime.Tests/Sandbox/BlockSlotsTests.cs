using System.Text;
using KataSharp.Runtime.Model;
using KataSharp.Runtime.Sandbox;
using Xunit;

namespace KataSharp.Runtime.Tests.Sandbox;

/// <summary>
/// The pod's one record of its block slots, against a VM side that records every media change (and can refuse an insert):
/// fresh serials, shared read-only layers, a container's devices leaving with it, exhaustion naming the key, and releases
/// that change nothing when there is nothing to release.
/// </summary>
public sealed class BlockSlotsTests
{
    private readonly RecordingMedia _vm = new();

    [Fact]
    public void Slots_are_named_in_creation_order()
    {
        Assert.Equal(["layer0", "layer1", "layer2"], BlockSlots.Names(3));
        Assert.Throws<ArgumentOutOfRangeException>(() => new BlockSlots(0, _vm));
    }

    [Fact]
    public void Running_out_fails_naming_block_slots_and_a_freed_slot_comes_back_under_a_fresh_serial()
    {
        var slots = new BlockSlots(2, _vm);
        var a = slots.AttachDevice("c1", "/dev/loop1", readOnly: false);
        slots.AttachLayer("c2", "/cache/l1.erofs");

        var full = Assert.Throws<RuntimeException>(() => slots.AttachDevice("c3", "/dev/loop3", readOnly: true));
        Assert.Equal(RuntimeError.FailedPrecondition, full.Error);
        Assert.Contains("every one of the sandbox's 2 block slots is in use: raise [hypervisor.katasharp] block_slots", full.Message);
        Assert.Equal(2, _vm.Inserted.Count); // the refused attach never reached the VM

        slots.ReleaseDevices("c1");
        var c = slots.AttachDevice("c3", "/dev/loop3", readOnly: true);
        Assert.Equal(a.Slot, c.Slot);
        Assert.NotEqual(a.Serial, c.Serial); // the guest must never take the new medium for the old one
    }

    [Fact]
    public void Serials_stay_within_twenty_bytes_for_many_attaches()
    {
        var slots = new BlockSlots(64, _vm);
        for (int i = 0; i < 10_000; i++)
        {
            var (_, serial) = slots.AttachDevice("c1", "/dev/loop1", readOnly: true);
            Assert.True(Encoding.ASCII.GetByteCount(serial) <= 20, serial);
            slots.ReleaseDevices("c1");
        }
        Assert.Equal(0, slots.InUse);
    }

    [Fact]
    public void A_layer_image_is_read_only_and_shared_and_leaves_its_slot_with_its_last_container()
    {
        var slots = new BlockSlots(4, _vm);
        var first = slots.AttachLayer("c1", "/cache/l1.erofs");
        var second = slots.AttachLayer("c2", "/cache/l1.erofs");

        Assert.True(first.Inserted);
        Assert.False(second.Inserted);
        Assert.Equal(first.Layer, second.Layer);
        Assert.Equal([(first.Slot, "/cache/l1.erofs", first.Layer.Serial, true)], _vm.Inserted);

        Assert.False(slots.ReleaseLayer("c1", first.Layer.Serial));
        Assert.Empty(_vm.Ejected); // c2 still uses it
        Assert.True(slots.ReleaseLayer("c2", first.Layer.Serial));
        Assert.Equal([first.Slot], _vm.Ejected);
        Assert.Equal(0, slots.InUse);
    }

    [Fact]
    public void Releasing_twice_or_an_unknown_serial_or_a_layer_the_container_does_not_hold_changes_nothing()
    {
        var slots = new BlockSlots(2, _vm);
        var layer = slots.AttachLayer("c1", "/cache/l1.erofs").Layer;

        Assert.False(slots.ReleaseLayer("c1", "ks9g99"));
        Assert.False(slots.ReleaseLayer("c2", layer.Serial));
        Assert.Empty(_vm.Ejected);

        Assert.True(slots.ReleaseLayer("c1", layer.Serial));
        Assert.False(slots.ReleaseLayer("c1", layer.Serial));
        slots.ReleaseDevices("c1");
        slots.ReleaseDevices("nobody");
        Assert.Single(_vm.Ejected);
    }

    [Fact]
    public void A_device_is_the_containers_alone_and_the_same_path_twice_takes_two_slots()
    {
        var slots = new BlockSlots(3, _vm);
        var c1 = slots.AttachDevice("c1", "/dev/loop1", readOnly: true);
        var c2 = slots.AttachDevice("c2", "/dev/loop1", readOnly: true);
        var layer = slots.AttachLayer("c1", "/dev/loop1").Layer; // a layer is never shared with a device

        Assert.Equal(3, _vm.Inserted.Select(i => i.Slot).Distinct().Count());
        Assert.Equal([c1.Serial, c2.Serial, layer.Serial], _vm.Inserted.Select(i => i.Serial));
        slots.ReleaseDevices("c1");
        Assert.Equal([c1.Slot], _vm.Ejected);
    }

    [Fact]
    public void A_containers_devices_leave_with_it_and_nobody_elses_do()
    {
        var slots = new BlockSlots(4, _vm);
        var rw = slots.AttachDevice("c1", "/dev/loop1", readOnly: false);
        var ro = slots.AttachDevice("c1", "/dev/loop2", readOnly: true);
        var other = slots.AttachDevice("c2", "/dev/loop3", readOnly: false);
        var layer = slots.AttachLayer("c1", "/cache/l1.erofs");
        Assert.Equal([false, true, false, true], _vm.Inserted.Select(i => i.ReadOnly));

        slots.ReleaseDevices("c1");

        Assert.Equal([rw.Slot, ro.Slot], _vm.Ejected);
        Assert.Equal(2, slots.InUse); // c2's device and c1's layer (layers are released on their own)
        Assert.DoesNotContain(other.Slot, _vm.Ejected);
        Assert.DoesNotContain(layer.Slot, _vm.Ejected);
    }

    [Fact]
    public void A_failed_insert_gives_the_slot_back_and_the_vms_error_goes_to_the_caller()
    {
        var slots = new BlockSlots(1, _vm);
        _vm.RefuseNext = new RuntimeException(RuntimeError.Internal, "cannot attach /dev/loop1: EBUSY");

        var e = Assert.Throws<RuntimeException>(() => slots.AttachDevice("c1", "/dev/loop1", readOnly: false));
        Assert.Equal("cannot attach /dev/loop1: EBUSY", e.Message);
        Assert.Equal(0, slots.InUse);
        slots.ReleaseDevices("c1");
        Assert.Empty(_vm.Ejected); // nothing of c1's is in a slot

        var next = slots.AttachLayer("c2", "/cache/l1.erofs");
        Assert.Equal("layer0", next.Slot);
    }

    [Fact]
    public void A_slot_the_vm_refuses_to_empty_is_free_anyway_and_the_containers_other_devices_still_leave()
    {
        var slots = new BlockSlots(2, _vm);
        slots.AttachDevice("c1", "/dev/loop1", readOnly: false);
        slots.AttachDevice("c1", "/dev/loop2", readOnly: false);
        _vm.RefuseEject = new InvalidOperationException("eject refused");

        Assert.Same(_vm.RefuseEject, Assert.Throws<InvalidOperationException>(() => slots.ReleaseDevices("c1")));
        Assert.Equal(["layer0", "layer1"], _vm.Ejected);
        Assert.Equal(0, slots.InUse);
    }

    [Fact]
    public void Once_the_media_are_gone_releases_only_update_the_record_and_nothing_is_inserted()
    {
        var slots = new BlockSlots(2, _vm);
        var layer = slots.AttachLayer("c1", "/cache/l1.erofs").Layer;
        slots.AttachDevice("c1", "/dev/loop1", readOnly: false);

        slots.MediaGone();

        Assert.True(slots.ReleaseLayer("c1", layer.Serial)); // the image is out of the VM: its lease can go
        slots.ReleaseDevices("c1");
        Assert.Empty(_vm.Ejected);
        Assert.Equal(0, slots.InUse);
        var e = Assert.Throws<RuntimeException>(() => slots.AttachLayer("c2", "/cache/l1.erofs"));
        Assert.Equal(RuntimeError.Unavailable, e.Error);
        Assert.Equal(2, _vm.Inserted.Count);
    }

    /// <summary>The VM's side of the slots: records each change; refuses the next insert, or every eject, when told to.</summary>
    private sealed class RecordingMedia : IBlockMedia
    {
        private readonly HashSet<string> _loaded = [];

        public List<(string Slot, string Path, string Serial, bool ReadOnly)> Inserted { get; } = [];

        public List<string> Ejected { get; } = [];

        public Exception? RefuseNext { get; set; }

        public Exception? RefuseEject { get; set; }

        public void InsertMedium(string slot, string path, string serial, bool readOnly)
        {
            if (RefuseNext is { } refusal)
            {
                RefuseNext = null;
                throw refusal;
            }
            Assert.True(_loaded.Add(slot), $"{slot} already holds a medium");
            Inserted.Add((slot, path, serial, readOnly));
        }

        public void EjectMedium(string slot)
        {
            Assert.True(_loaded.Remove(slot), $"{slot} is empty");
            Ejected.Add(slot);
            if (RefuseEject is { } refusal)
            {
                throw refusal;
            }
        }
    }
}
