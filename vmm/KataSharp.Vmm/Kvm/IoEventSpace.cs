namespace KataSharp.Vmm.Kvm;

/// <summary>Which address space an ioeventfd watches.</summary>
public enum IoEventSpace
{
    Mmio,
    Pio,
}
