namespace KataSharp.Vmm.Memory;

/// <summary>A guest-physical address. Arithmetic is checked: a guest can hand us any value.</summary>
public readonly record struct GuestAddress(ulong Value) : IComparable<GuestAddress>
{
    /// <summary>This address plus <paramref name="offset"/>, or null when the sum overflows 64 bits.</summary>
    public GuestAddress? TryAdd(ulong offset) =>
        Value > ulong.MaxValue - offset ? null : new GuestAddress(Value + offset);

    /// <summary>This address plus <paramref name="offset"/>; throws <see cref="GuestMemoryException"/> on overflow.</summary>
    public GuestAddress Add(ulong offset) =>
        TryAdd(offset) ?? throw new GuestMemoryException(this, offset, "address arithmetic overflows 64 bits");

    public int CompareTo(GuestAddress other) => Value.CompareTo(other.Value);

    public override string ToString() => $"0x{Value:x}";
}
