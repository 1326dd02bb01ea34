namespace KataSharp.Vmm.Devices.Bus;

/// <summary>[Base, Base + Size) of one address space, served by <see cref="Device"/>.</summary>
public sealed record BusRange(ulong Base, ulong Size, IBusDevice Device, string Name)
{
    public ulong End => Base + Size;

    public bool Contains(ulong address) => address >= Base && address - Base < Size;
}
