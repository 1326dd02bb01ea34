using System.Globalization;
using System.Text;

namespace KataSharp.Runtime.Logging;

/// <summary>
/// Makes text the guest controls (console lines, agent log lines, gRPC status details, VM exit
/// reasons, container ids) safe to put into containerd's log and into error messages: every
/// control character is escaped, so a guest cannot move a terminal's cursor, recolour or hide
/// text (ESC sequences), forge extra log records (newlines) or reorder what a reader sees (bidi
/// overrides); and the result is capped, so a guest cannot make one message huge.
/// </summary>
/// <remarks>
/// Escapes: tab, newline and carriage return as <c>\t \n \r</c>; every other C0/C1 control and
/// DEL as <c>\xHH</c>; Unicode bidi controls, line/paragraph separators and lone surrogates as
/// <c>\uHHHH</c>. Tab is escaped too: a log record is one line of visible characters, and a tab
/// in it can push fields around. A backslash is kept as it is: the escaping is for safety, not
/// a reversible encoding (logfmt quoting adds its own layer on top, see <see cref="AppendQuoted"/>).
/// </remarks>
public static class UntrustedText
{
    /// <summary>The cap for one piece of guest text in a log record or an error message.</summary>
    public const int DefaultMaxLength = 4096;

    /// <summary><paramref name="text"/> escaped, and cut after <paramref name="maxLength"/> characters of output.</summary>
    public static string Escape(ReadOnlySpan<char> text, int maxLength = DefaultMaxLength)
    {
        var output = new StringBuilder(Math.Min(text.Length, maxLength) + 16);
        AppendEscaped(output, text, maxLength);
        return output.ToString();
    }

    /// <summary>UTF-8 bytes from the guest, decoded (invalid sequences become U+FFFD) and escaped.</summary>
    public static string Escape(ReadOnlySpan<byte> utf8, int maxLength = DefaultMaxLength) =>
        Escape(Encoding.UTF8.GetString(utf8).AsSpan(), maxLength);

    /// <summary>
    /// Multi-line guest text (a console tail in an error message): the newlines between lines are
    /// kept, each line is escaped and cut after <paramref name="maxLineLength"/> characters.
    /// </summary>
    public static string EscapeLines(string text, int maxLineLength = DefaultMaxLength)
    {
        var output = new StringBuilder(text.Length + 16);
        bool first = true;
        foreach (ReadOnlySpan<char> line in text.AsSpan().EnumerateLines())
        {
            if (!first)
            {
                output.Append('\n');
            }
            first = false;
            AppendEscaped(output, line, maxLineLength);
        }
        return output.ToString();
    }

    /// <summary>
    /// A logfmt value: in double quotes, with <c>"</c> and <c>\</c> backslash-escaped as logfmt
    /// readers expect and every control character escaped as above. Used for every field of every
    /// shim log record, so nothing that reaches containerd's log can break a record in two.
    /// </summary>
    public static void AppendQuoted(StringBuilder output, ReadOnlySpan<char> value, int maxLength)
    {
        output.Append('"');
        AppendEscaped(output, value, maxLength, quoting: true);
        output.Append('"');
    }

    private static void AppendEscaped(StringBuilder output, ReadOnlySpan<char> text, int maxLength, bool quoting = false)
    {
        int limit = output.Length + maxLength;
        for (int i = 0; i < text.Length; i++)
        {
            if (output.Length >= limit)
            {
                output.Append("…[").Append(text.Length - i).Append(" more characters cut]");
                return;
            }
            char c = text[i];
            if (char.IsHighSurrogate(c) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
            {
                output.Append(c).Append(text[++i]);
            }
            else if (quoting && c is '"' or '\\')
            {
                output.Append('\\').Append(c);
            }
            else if (NeedsEscape(c))
            {
                AppendEscape(output, c);
            }
            else
            {
                output.Append(c);
            }
        }
    }

    private static bool NeedsEscape(char c) =>
        char.IsControl(c) || char.IsSurrogate(c) || c is '\u061c' or '\u200e' or '\u200f' or '\u2028' or '\u2029'
            or (>= '\u202a' and <= '\u202e') or (>= '\u2066' and <= '\u2069');

    private static void AppendEscape(StringBuilder output, char c)
    {
        switch (c)
        {
            case '\t':
                output.Append("\\t");
                break;
            case '\n':
                output.Append("\\n");
                break;
            case '\r':
                output.Append("\\r");
                break;
            case <= '\u00ff':
                output.Append("\\x").Append(((int)c).ToString("x2", CultureInfo.InvariantCulture));
                break;
            default:
                output.Append("\\u").Append(((int)c).ToString("x4", CultureInfo.InvariantCulture));
                break;
        }
    }
}
