namespace KataSharp.Runtime.Sandbox;

/// <summary>
/// The VM's side of the pod's block slots: a medium goes into an empty slot under a serial, and comes out again.
/// Only <see cref="BlockSlots"/> calls it, so it never has to know which slot is free or whose a medium is.
/// </summary>
public interface IBlockMedia
{
    /// <summary>Puts <paramref name="path"/> into the empty <paramref name="slot"/>; the guest sees <paramref name="serial"/>.
    /// Throws when the medium cannot be opened (the slot stays empty).</summary>
    void InsertMedium(string slot, string path, string serial, bool readOnly);

    void EjectMedium(string slot);
}
