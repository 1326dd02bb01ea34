using System.Text;
using KataSharp.Runtime.Logging;
using Xunit;

namespace KataSharp.Runtime.Tests.Logging;

public sealed class UntrustedTextTests
{
    [Theory]
    [InlineData("plain text, with \\ and \"quotes\"", "plain text, with \\ and \"quotes\"")]
    [InlineData("\u001b[31mred\u001b[0m", "\\x1b[31mred\\x1b[0m")]
    [InlineData("bell\u0007 del\u007f nul\0", "bell\\x07 del\\x7f nul\\x00")]
    [InlineData("a\tb\r\nc", "a\\tb\\r\\nc")]
    [InlineData("c1\u0085\u009b", "c1\\x85\\x9b")]
    [InlineData("bidi \u202eevil\u202c \u2066x\u2069 \u200f", "bidi \\u202eevil\\u202c \\u2066x\\u2069 \\u200f")]
    [InlineData("sep\u2028\u2029", "sep\\u2028\\u2029")]
    [InlineData("ünïcödé 😀 stays", "ünïcödé 😀 stays")]
    public void Control_characters_are_escaped_and_everything_else_is_kept(string text, string expected)
    {
        Assert.Equal(expected, UntrustedText.Escape(text));
    }

    [Fact]
    public void A_lone_surrogate_is_escaped_and_a_pair_kept()
    {
        // Not theory data: a lone surrogate does not survive the test case's serialization.
        Assert.Equal("lone \\ud800 \\udc00 pair \ud83d\ude00", UntrustedText.Escape("lone \ud800 \udc00 pair \ud83d\ude00"));
    }

    [Fact]
    public void Long_text_is_cut_with_a_note_of_how_much()
    {
        string escaped = UntrustedText.Escape(new string('a', 10_000), maxLength: 100);
        Assert.Equal(new string('a', 100) + "…[9900 more characters cut]", escaped);
        // The cap counts what is written: escapes use it up faster than plain characters.
        Assert.StartsWith(string.Concat(Enumerable.Repeat("\\x1b", 25)) + "…[", UntrustedText.Escape(new string('\u001b', 1000), maxLength: 100));
    }

    [Fact]
    public void Guest_bytes_are_decoded_leniently()
    {
        Assert.Equal("ok \ufffd \\x1b", UntrustedText.Escape(new byte[] { (byte)'o', (byte)'k', (byte)' ', 0xff, (byte)' ', 0x1b }.AsSpan()));
        Assert.Equal("ok \ufffd", UntrustedText.Escape(new byte[] { (byte)'o', (byte)'k', (byte)' ', 0xc3 }.AsSpan()));
    }

    [Fact]
    public void Multi_line_text_keeps_its_lines_and_escapes_and_caps_each()
    {
        string tail = "line one\u001b[K\r\n" + new string('x', 50) + "\nlast";
        Assert.Equal("line one\\x1b[K\n" + new string('x', 16) + "…[34 more characters cut]\nlast", UntrustedText.EscapeLines(tail, maxLineLength: 16));
    }

    [Fact]
    public void A_logfmt_value_quotes_backslashes_and_double_quotes_too()
    {
        var output = new StringBuilder();
        UntrustedText.AppendQuoted(output, "C:\\path \"x\"\n\u001b", maxLength: 100);
        Assert.Equal("\"C:\\\\path \\\"x\\\"\\n\\x1b\"", output.ToString());
    }
}
