using KataSharp.Runtime.Ttrpc;
using Xunit;

namespace KataSharp.Runtime.Tests.Ttrpc;

public class TtrpcFrameHeaderTests
{
    [Fact]
    public void Header_is_ten_big_endian_bytes()
    {
        var header = new TtrpcFrameHeader(0x50, 1, TtrpcMessageType.Request, TtrpcFlags.None);
        byte[] bytes = new byte[TtrpcFrameHeader.Size];
        header.WriteTo(bytes);
        Assert.Equal(new byte[] { 0, 0, 0, 0x50, 0, 0, 0, 1, 1, 0 }, bytes);
        Assert.Equal(header, TtrpcFrameHeader.Parse(bytes));
    }

    [Fact]
    public void Parse_reads_every_field()
    {
        byte[] bytes = [0x00, 0x40, 0x00, 0x01, 0x12, 0x34, 0x56, 0x79, 0x03, 0x05];
        var header = TtrpcFrameHeader.Parse(bytes);
        Assert.Equal(0x400001u, header.Length);
        Assert.Equal(0x12345679u, header.StreamId);
        Assert.Equal(TtrpcMessageType.Data, header.Type);
        Assert.Equal(TtrpcFlags.RemoteClosed | TtrpcFlags.NoData, header.Flags);
        Assert.True(header.IsOversized);
    }

    [Theory]
    [InlineData(4u << 20, false)]
    [InlineData((4u << 20) + 1, true)]
    public void Maximum_message_is_four_mebibytes(uint length, bool oversized) =>
        Assert.Equal(oversized, new TtrpcFrameHeader(length, 1, TtrpcMessageType.Request, TtrpcFlags.None).IsOversized);

    [Fact]
    public void Short_header_is_refused() =>
        Assert.Throws<ArgumentException>(() => TtrpcFrameHeader.Parse(new byte[9]));
}
