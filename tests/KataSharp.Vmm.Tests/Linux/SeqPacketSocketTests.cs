using System.Text;
using KataSharp.Linux;
using KataSharp.Linux.Files;
using KataSharp.Linux.Sockets;
using Xunit;

namespace KataSharp.Vmm.Tests.Linux;

/// <summary>The shim ↔ VMM control channel's transport: whole messages, one descriptor each, nothing a hostile peer can
/// use to grow this process's descriptor table or sneak a partial message past the reader.</summary>
public sealed class SeqPacketSocketTests
{
    [Fact]
    public void A_message_arrives_whole_with_the_descriptor_it_carries()
    {
        var (a, b) = SeqPacketSocket.CreatePair();
        using (a)
        using (b)
        {
            var (read, write) = Pipe.Create();
            using (read)
            using (write)
            {
                a.Send("insert"u8, write);
                byte[] buffer = new byte[64];
                int n = b.Receive(buffer, out FileDescriptor? received);
                using (received)
                {
                    Assert.Equal("insert", Encoding.ASCII.GetString(buffer, 0, n));
                    Assert.NotNull(received);
                    Assert.NotEqual(write.Value, received!.Value);
                    received.WriteAll("through the passed descriptor"u8);
                }
                byte[] piped = new byte[64];
                Assert.Equal("through the passed descriptor", Encoding.ASCII.GetString(piped, 0, read.Read(piped)));
            }
        }
    }

    [Fact]
    public void Messages_keep_their_boundaries_and_the_end_reads_as_zero()
    {
        var (a, b) = SeqPacketSocket.CreatePair();
        using (b)
        {
            a.Send("one"u8);
            a.Send("two"u8);
            a.Dispose();
            byte[] buffer = new byte[64];
            Assert.Equal(3, b.Receive(buffer, out FileDescriptor? first));
            Assert.Null(first);
            Assert.Equal("two", Encoding.ASCII.GetString(buffer, 0, b.Receive(buffer, out _)));
            Assert.Equal(0, b.Receive(buffer, out FileDescriptor? atEnd));
            Assert.Null(atEnd);
        }
    }

    [Fact]
    public void A_message_longer_than_the_buffer_is_an_error_and_its_descriptor_is_closed()
    {
        var (a, b) = SeqPacketSocket.CreatePair();
        using (a)
        using (b)
        {
            var (read, write) = Pipe.Create(nonBlockingRead: true);
            using (read)
            {
                using (write)
                {
                    a.Send(new byte[100], write);
                    var error = Assert.Throws<LinuxException>(() => b.Receive(new byte[10], out _));
                    Assert.Equal(Errno.EMSGSIZE, error.Errno);
                }
                Assert.True(AllWritersClosed(read), "the descriptor that came with the refused message is still open");
            }
        }
    }

    [Fact]
    public void Descriptors_beyond_the_first_are_closed_on_arrival()
    {
        var (a, b) = SeqPacketSocket.CreatePair();
        using (a)
        using (b)
        {
            var pipes = Enumerable.Range(0, 3).Select(_ => Pipe.Create(nonBlockingRead: true)).ToList();
            try
            {
                SendThree(a, pipes.Select(p => p.Write.Value).ToArray());
                foreach (var (_, write) in pipes)
                {
                    write.Dispose();
                }
                int n = b.Receive(new byte[16], out FileDescriptor? kept);
                using (kept)
                {
                    Assert.Equal(1, n);
                    Assert.NotNull(kept);
                    Assert.False(AllWritersClosed(pipes[0].Read), "the first descriptor is the one kept");
                    Assert.True(AllWritersClosed(pipes[1].Read), "the second descriptor was kept open");
                    Assert.True(AllWritersClosed(pipes[2].Read), "the third descriptor was kept open");
                }
                Assert.True(AllWritersClosed(pipes[0].Read));
            }
            finally
            {
                foreach (var (read, write) in pipes)
                {
                    read.Dispose();
                    write.Dispose();
                }
            }
        }
    }

    /// <summary>A hostile peer's message: one byte with three descriptors in one SCM_RIGHTS block.</summary>
    private static unsafe void SendThree(SeqPacketSocket socket, int[] fds)
    {
        const int Level = 1, Rights = 1; // SOL_SOCKET, SCM_RIGHTS
        byte* control = stackalloc byte[64];
        new Span<byte>(control, 64).Clear();
        *(ulong*)control = 16 + (ulong)(fds.Length * sizeof(int));
        *(int*)(control + 8) = Level;
        *(int*)(control + 12) = Rights;
        for (int i = 0; i < fds.Length; i++)
        {
            *(int*)(control + 16 + i * sizeof(int)) = fds[i];
        }
        byte data = 1;
        var iov = new KataSharp.Linux.Interop.SocketCalls.IoVec { iov_base = &data, iov_len = 1 };
        var msg = new KataSharp.Linux.Interop.SocketCalls.MsgHdr { msg_iov = &iov, msg_iovlen = 1, msg_control = control, msg_controllen = 32 };
        Assert.Equal(1, KataSharp.Linux.Interop.SocketCalls.sendmsg(socket.Descriptor.Value, &msg, 0));
    }

    /// <summary>Whether every write end of an empty non-blocking pipe is closed (a read sees the end rather than
    /// EAGAIN) — a check on these descriptors alone, which other tests opening files meanwhile cannot disturb.</summary>
    private static bool AllWritersClosed(FileDescriptor read) => read.TryRead(new byte[1]) == 0;
}
