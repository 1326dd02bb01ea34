using System.Text;
using KataSharp.Confinement;
using KataSharp.Linux.Files;
using KataSharp.Linux.Sockets;
using Xunit;

namespace KataSharp.Runtime.Tests.Confinement;

/// <summary>The shim's end of the control channel reads what a compromised VMM may send: anything.</summary>
public sealed class VmmChannelTests
{
    [Fact]
    public void A_message_and_its_descriptor_cross_the_channel()
    {
        var (a, b) = SeqPacketSocket.CreatePair();
        using var shim = new VmmChannel(a);
        using var vmm = new VmmChannel(b);
        var (read, write) = Pipe.Create();
        using (read)
        using (write)
        {
            shim.Send(new VmmMessage("insert") { Slot = "layer0", Serial = "s1", ReadOnly = true, Label = "/x/y.erofs" }, read);
            VmmMessage? message = vmm.Receive(out FileDescriptor? medium);
            using (medium)
            {
                Assert.Equal(new VmmMessage("insert") { Slot = "layer0", Serial = "s1", ReadOnly = true, Label = "/x/y.erofs" }, message);
                Assert.NotNull(medium);
            }
        }
    }

    [Theory]
    [InlineData("not json at all")]
    [InlineData("null")]
    [InlineData("{\"op\": 7}")]
    [InlineData("[1,2,3]")]
    public void Garbage_from_the_vmm_is_an_invalid_data_error_not_a_crash(string garbage)
    {
        var (a, b) = SeqPacketSocket.CreatePair();
        using var shim = new VmmChannel(a);
        using (b)
        {
            b.Send(Encoding.UTF8.GetBytes(garbage));
            Assert.Throws<InvalidDataException>(() => shim.Receive(out _));
        }
    }

    [Fact]
    public void A_message_over_the_bound_is_refused()
    {
        var (a, b) = SeqPacketSocket.CreatePair();
        using var shim = new VmmChannel(a);
        using (b)
        {
            b.Send(new byte[VmmMessage.MaxBytes + 1]);
            Assert.Throws<KataSharp.Linux.LinuxException>(() => shim.Receive(out _));
        }
    }

    [Fact]
    public void The_end_of_the_channel_reads_as_null()
    {
        var (a, b) = SeqPacketSocket.CreatePair();
        using var shim = new VmmChannel(a);
        b.Dispose();
        Assert.Null(shim.Receive(out FileDescriptor? descriptor));
        Assert.Null(descriptor);
    }
}
