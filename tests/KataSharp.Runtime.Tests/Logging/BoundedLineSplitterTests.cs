using System.Text;
using KataSharp.Runtime.Logging;
using Xunit;

namespace KataSharp.Runtime.Tests.Logging;

public sealed class BoundedLineSplitterTests
{
    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(4)]
    public void Any_chunking_gives_the_same_lines_each_cut_at_the_limit(int seed)
    {
        var random = new Random(seed);
        const int max = 16;
        var expected = new List<(string, bool)>();
        var stream = new StringBuilder();
        for (int i = 0; i < 200; i++)
        {
            string line = new string((char)('a' + random.Next(26)), random.Next(0, 3 * max));
            bool crlf = random.Next(4) == 0;
            stream.Append(line).Append(crlf ? "\r\n" : "\n");
            // A CR is part of the line until its LF: it counts towards the limit.
            expected.Add(line.Length + (crlf ? 1 : 0) > max ? (line[..Math.Min(max, line.Length)], true) : (line, false));
        }
        stream.Append("tail");
        expected.Add(("tail", false));
        byte[] bytes = Encoding.ASCII.GetBytes(stream.ToString());

        var splitter = new BoundedLineSplitter(max);
        var lines = new List<(string, bool)>();
        void Collect(ReadOnlySpan<byte> line, bool truncated) => lines.Add((Encoding.ASCII.GetString(line), truncated));
        for (int at = 0; at < bytes.Length;)
        {
            int size = Math.Min(random.Next(1, 40), bytes.Length - at);
            splitter.Append(bytes.AsSpan(at, size), Collect);
            at += size;
        }
        splitter.Finish(Collect);

        Assert.Equal(expected, lines);
    }

    [Fact]
    public void A_line_without_end_is_cut_once_and_the_rest_skipped()
    {
        var splitter = new BoundedLineSplitter(4096);
        byte[] chunk = new byte[64 * 1024];
        Array.Fill(chunk, (byte)'A');
        int lines = 0, truncated = 0, longest = 0;
        void Count(ReadOnlySpan<byte> line, bool cut)
        {
            lines++;
            truncated += cut ? 1 : 0;
            longest = Math.Max(longest, line.Length);
        }
        for (int i = 0; i < 160; i++) // 10 MiB
        {
            splitter.Append(chunk, Count);
        }
        splitter.Append("\nnext\n"u8, Count);

        Assert.Equal((2, 1, 4096), (lines, truncated, longest));
    }
}
