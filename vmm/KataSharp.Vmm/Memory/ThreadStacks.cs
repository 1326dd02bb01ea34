namespace KataSharp.Vmm.Memory;

/// <summary>
/// The stack size of the threads a VMM starts (vCPUs, the event loop, block workers, its control thread). Guest RAM
/// turns transparent huge pages on for the VMM's whole process (<see cref="GuestMemory.Create"/>), and a thread started
/// after that with glibc's default stack (8 MiB, from ulimit -s) gets a whole 2 MiB page for the few KiB of stack it
/// uses: 4 MiB of a pod's host memory were such pages (README, Performance). A mapping smaller than 2 MiB can never
/// hold one. 1 MiB is far more than these threads need: device handlers and the KVM_RUN loop, no deep recursion.
/// </summary>
public static class ThreadStacks
{
    public const int MaxStackSize = 1 << 20;
}
