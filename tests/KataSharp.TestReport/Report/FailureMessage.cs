namespace KataSharp.TestReport.Report;

/// <summary>
/// A failure message shortened to what a CI excerpt (the tail of the output) can hold while it
/// keeps the reason. A message is a head and "--- name ---" sections (console, stdout, stderr):
/// the head is shown up to <see cref="HeadLines"/> lines and each section by its header and its
/// last <see cref="SectionTailLines"/> lines, where the cause is; every line is cut at
/// <see cref="LineWidth"/> characters.
/// </summary>
public static class FailureMessage
{
    public const int HeadLines = 6;
    public const int SectionTailLines = 8;
    public const int LineWidth = 300;
    private const string Indent = "      ";
    private const string SectionMark = "--- ";

    /// <summary>The shortened message, each line indented for the "failed tests:" list.</summary>
    public static IEnumerable<string> Shorten(string message)
    {
        string[] lines = message.Split('\n');
        int i = 0;
        for (; i < lines.Length && !lines[i].StartsWith(SectionMark, StringComparison.Ordinal); i++)
        {
            if (i < HeadLines)
            {
                yield return Line(lines[i]);
            }
        }
        int start = i;
        for (; i < lines.Length; i++)
        {
            if (i > start && lines[i].StartsWith(SectionMark, StringComparison.Ordinal))
            {
                foreach (string line in Section(lines, start, i - 1))
                {
                    yield return line;
                }
                start = i;
            }
        }
        foreach (string line in Section(lines, start, lines.Length - 1))
        {
            yield return line;
        }
    }

    /// <summary>The first line: tests whose messages start alike share one printing.</summary>
    public static string Key(string message)
    {
        int end = message.IndexOf('\n', StringComparison.Ordinal);
        return end < 0 ? message : message[..end];
    }

    private static IEnumerable<string> Section(string[] lines, int from, int to)
    {
        if (from > to)
        {
            yield break;
        }
        yield return Line(lines[from]);
        bool cut = to - from > SectionTailLines;
        if (cut)
        {
            yield return Indent + "…";
        }
        for (int i = cut ? to - (SectionTailLines - 1) : from + 1; i <= to; i++)
        {
            yield return Line(lines[i]);
        }
    }

    private static string Line(string line) => Indent + (line.Length > LineWidth ? line[..LineWidth] : line);
}
