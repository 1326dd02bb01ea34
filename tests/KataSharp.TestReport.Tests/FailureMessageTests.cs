using KataSharp.TestReport.Report;
using Xunit;

namespace KataSharp.TestReport.Tests;

/// <summary>The shortening scripts/test.sh's awk did: head up to 6 lines, each "--- x ---" section by its header and last 8 lines.</summary>
public sealed class FailureMessageTests
{
    private static string Lines(string prefix, int count) => string.Join('\n', Enumerable.Range(1, count).Select(i => $"{prefix}{i}"));

    [Fact]
    public void A_message_with_sections_keeps_the_head_and_each_sections_tail()
    {
        string message = Lines("head", 7) + "\n--- stdout ---\n" + Lines("out", 10) + "\n--- stderr ---\n" + Lines("err", 2);

        Assert.Equal(
            [
                "      head1", "      head2", "      head3", "      head4", "      head5", "      head6",
                "      --- stdout ---", "      …",
                "      out3", "      out4", "      out5", "      out6", "      out7", "      out8", "      out9", "      out10",
                "      --- stderr ---", "      err1", "      err2",
            ],
            FailureMessage.Shorten(message));
    }

    [Fact]
    public void A_section_of_exactly_eight_lines_after_its_header_is_shown_whole()
    {
        string message = "why\n--- console ---\n" + Lines("c", 8);
        Assert.Equal(["      why", "      --- console ---", .. Enumerable.Range(1, 8).Select(i => $"      c{i}")], FailureMessage.Shorten(message));
    }

    [Fact]
    public void Lines_are_cut_at_300_characters_and_a_plain_message_is_its_head()
    {
        string message = new string('x', 310) + "\nsecond";
        Assert.Equal(["      " + new string('x', 300), "      second"], FailureMessage.Shorten(message));
    }

    [Fact]
    public void The_key_is_the_first_line() => Assert.Equal("first", FailureMessage.Key("first\nsecond"));
}
