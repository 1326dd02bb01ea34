using KataSharp.Linux.Files;
using KataSharp.Linux.Interop;

namespace KataSharp.Linux.Bpf;

/// <summary>
/// A program attached through a BPF link (BPF_LINK_CREATE). The attachment lasts as long as the link's fd: closing it
/// (Dispose, or the process's death) detaches the program, so nothing outlives the shim that attached it.
/// </summary>
public sealed unsafe class BpfLink : IDisposable
{
    private BpfLink(FileDescriptor descriptor) => Descriptor = descriptor;

    public FileDescriptor Descriptor { get; }

    /// <summary>Attaches <paramref name="program"/> to <paramref name="targetFd"/> (a network namespace's fd for sk_lookup).</summary>
    internal static BpfLink Create(BpfProgram program, int targetFd, int attachType, string what)
    {
        var attr = new BpfAttr(stackalloc byte[BpfCalls.AttrSize]);
        attr.U32(BpfCalls.LinkProgFdOffset, (uint)program.Descriptor.Value);
        attr.U32(BpfCalls.LinkTargetFdOffset, (uint)targetFd);
        attr.U32(BpfCalls.LinkAttachTypeOffset, (uint)attachType);
        return new BpfLink(attr.Create(BpfCalls.BPF_LINK_CREATE, $"bpf(BPF_LINK_CREATE, {what})"));
    }

    public void Dispose() => Descriptor.Dispose();
}
