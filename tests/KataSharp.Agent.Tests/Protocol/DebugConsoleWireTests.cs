using KataSharp.Agent.Protocol.DebugConsoleWire;
using Xunit;

namespace KataSharp.Agent.Tests.Protocol;

/// <summary>The debug console's framing: frames survive any split into reads, and a sender cannot make the decoder
/// buffer more than one largest frame or accept what the wire does not define.</summary>
public sealed class DebugConsoleWireTests
{
    [Fact]
    public void Frames_split_at_every_byte_come_out_whole_and_in_order()
    {
        byte[] stream = [
            .. new DebugConsoleOpen(true, 24, 80, "uname -r").Encode(),
            .. DebugConsoleFrame.Encode(DebugConsoleFrameType.Input, "abc"u8),
            .. DebugConsoleFrame.Resize(50, 132),
            .. DebugConsoleFrame.Encode(DebugConsoleFrameType.InputEnd, []),
            .. DebugConsoleFrame.Exit(130),
        ];
        var decoder = new DebugConsoleFrameDecoder();
        var frames = new List<(DebugConsoleFrameType, byte[])>();
        foreach (byte b in stream)
        {
            decoder.Free.Span[0] = b;
            decoder.Advance(1);
            while (decoder.TryTake(out DebugConsoleFrame frame))
            {
                frames.Add((frame.Type, frame.Payload.ToArray()));
            }
        }
        Assert.False(decoder.HasPartialFrame);
        Assert.Equal([DebugConsoleFrameType.Open, DebugConsoleFrameType.Input, DebugConsoleFrameType.Resize, DebugConsoleFrameType.InputEnd, DebugConsoleFrameType.Exit],
            frames.Select(f => f.Item1));
        Assert.Equal(new DebugConsoleOpen(true, 24, 80, "uname -r"), DebugConsoleOpen.Parse(new DebugConsoleFrame(frames[0].Item1, frames[0].Item2)));
        Assert.Equal("abc"u8.ToArray(), frames[1].Item2);
        Assert.Equal(((ushort)50, (ushort)132), new DebugConsoleFrame(frames[2].Item1, frames[2].Item2).ReadSize());
        Assert.Empty(frames[3].Item2);
        Assert.Equal(130, new DebugConsoleFrame(frames[4].Item1, frames[4].Item2).ReadExitCode());
    }

    [Fact]
    public void A_largest_frame_fits_and_one_byte_more_is_refused()
    {
        byte[] largest = DebugConsoleFrame.Encode(DebugConsoleFrameType.Output, new byte[DebugConsoleFrame.MaxPayload]);
        var decoder = new DebugConsoleFrameDecoder();
        Assert.Equal(largest.Length, decoder.Free.Length);
        largest.CopyTo(decoder.Free);
        decoder.Advance(largest.Length);
        Assert.True(decoder.TryTake(out DebugConsoleFrame frame));
        Assert.Equal(DebugConsoleFrame.MaxPayload, frame.Payload.Length);

        Assert.Throws<ArgumentOutOfRangeException>(() => DebugConsoleFrame.Encode(DebugConsoleFrameType.Output, new byte[DebugConsoleFrame.MaxPayload + 1]));
        var hostile = new DebugConsoleFrameDecoder();
        byte[] header = [(byte)DebugConsoleFrameType.Output, (DebugConsoleFrame.MaxPayload + 1) >> 8, (DebugConsoleFrame.MaxPayload + 1) & 0xff];
        header.CopyTo(hostile.Free);
        hostile.Advance(header.Length);
        Assert.Contains("at most", Assert.Throws<InvalidDataException>(() => hostile.TryTake(out _)).Message);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(5)]
    [InlineData(255)]
    public void An_unknown_frame_type_is_refused(byte type)
    {
        var decoder = new DebugConsoleFrameDecoder();
        byte[] frame = [type, 0, 0];
        frame.CopyTo(decoder.Free);
        decoder.Advance(frame.Length);
        Assert.Contains("unknown frame type", Assert.Throws<InvalidDataException>(() => decoder.TryTake(out _)).Message);
    }

    [Fact]
    public void Malformed_open_and_size_frames_are_refused()
    {
        Assert.Throws<InvalidDataException>(() => DebugConsoleOpen.Parse(new DebugConsoleFrame(DebugConsoleFrameType.Input, new byte[5])));
        Assert.Throws<InvalidDataException>(() => DebugConsoleOpen.Parse(new DebugConsoleFrame(DebugConsoleFrameType.Open, new byte[4])));
        Assert.Throws<InvalidDataException>(() => DebugConsoleOpen.Parse(new DebugConsoleFrame(DebugConsoleFrameType.Open, new byte[] { 2, 0, 0, 0, 0 })));
        Assert.Throws<InvalidDataException>(() => DebugConsoleOpen.Parse(new DebugConsoleFrame(DebugConsoleFrameType.Open, new byte[] { 0, 0, 0, 0, 0, 0xff })));
        Assert.Throws<InvalidDataException>(() => new DebugConsoleFrame(DebugConsoleFrameType.Resize, new byte[3]).ReadSize());
        Assert.Throws<InvalidDataException>(() => new DebugConsoleFrame(DebugConsoleFrameType.Exit, new byte[5]).ReadExitCode());
        Assert.Throws<ArgumentException>(() => new DebugConsoleOpen(false, 0, 0, new string('x', DebugConsoleOpen.MaxCommandBytes + 1)).Encode());
    }

    [Fact]
    public void An_open_without_a_command_asks_for_an_interactive_shell()
    {
        var decoder = new DebugConsoleFrameDecoder();
        byte[] open = new DebugConsoleOpen(false, 0, 0, null).Encode();
        open.CopyTo(decoder.Free);
        decoder.Advance(open.Length);
        Assert.True(decoder.TryTake(out DebugConsoleFrame frame));
        Assert.Equal(new DebugConsoleOpen(false, 0, 0, null), DebugConsoleOpen.Parse(frame));
    }
}
