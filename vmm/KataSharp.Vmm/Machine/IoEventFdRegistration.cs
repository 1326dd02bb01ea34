using KataSharp.Linux.Events;
using KataSharp.Vmm.Kvm;

namespace KataSharp.Vmm.Machine;

/// <summary>An ioeventfd assigned in KVM; disposing deassigns it (once, and only while the VM exists).</summary>
internal sealed class IoEventFdRegistration(VmFd vm, EventFd eventFd, ulong address, int length, ulong? dataMatch, Func<bool> vmAlive) : IDisposable
{
    private int _disposed;

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0 && vmAlive() && !eventFd.Descriptor.IsClosed)
        {
            vm.UnregisterIoEventFd(eventFd, IoEventSpace.Mmio, address, length, dataMatch);
        }
    }
}
