using KataSharp.Linux.Interop;
using static KataSharp.Linux.Interop.FcntlCalls;
using static KataSharp.Linux.Interop.UnistdCalls;

namespace KataSharp.Linux.Files;

/// <summary>pipe2(2): a one-way byte channel, both ends close-on-exec (a child gets an end only by explicit mapping).</summary>
public static unsafe class Pipe
{
    /// <summary>Creates a pipe; each end can be made non-blocking separately (the end a child gets usually stays blocking).</summary>
    public static (FileDescriptor Read, FileDescriptor Write) Create(bool nonBlockingRead = false, bool nonBlockingWrite = false)
    {
        int* fds = stackalloc int[2];
        Libc.Check(pipe2(fds, O_CLOEXEC), "pipe2");
        var read = new FileDescriptor(fds[0]);
        var write = new FileDescriptor(fds[1]);
        if (nonBlockingRead)
        {
            read.SetNonBlocking();
        }
        if (nonBlockingWrite)
        {
            write.SetNonBlocking();
        }
        return (read, write);
    }
}
