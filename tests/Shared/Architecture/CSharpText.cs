namespace KataSharp.Tests.Shared.Architecture;

/// <summary>
/// (tests/Shared: compiled into each test project that needs it.)
/// C# source with comments and the text of string and character literals blanked out, so that a
/// word in a comment or a log message ("see Tasks/ProcessKey", "sandbox {0} gone") is not taken
/// for a use of a type. The code inside interpolation holes stays, because it is code
/// (<c>$"{ProcessKey.Of(x)}"</c> does use ProcessKey). Every blanked character becomes a space and
/// line ends are kept, so offsets and lines still match the original text.
/// </summary>
public static class CSharpText
{
    public static string CodeOnly(string source)
    {
        char[] output = source.ToCharArray();
        int end = new Lexer(source, output).Code(0, inHole: false);
        if (end < source.Length)
        {
            throw new FormatException($"unbalanced '}}' at offset {end}");
        }
        return new string(output);
    }

    private readonly struct Lexer(string s, char[] output)
    {
        /// <summary>
        /// Code from <paramref name="i"/> up to an unmatched '}': the end of an interpolation
        /// hole (the first of its closing braces), or a stray one at the top level. A colon at depth 0 of a hole starts
        /// its format text, which is not code.
        /// </summary>
        public int Code(int i, bool inHole)
        {
            int depth = 0;
            while (i < s.Length)
            {
                char c = s[i];
                if (c == '/' && At(i + 1, '/'))
                {
                    i = Blank(i, s.IndexOf('\n', i) is int n and >= 0 ? n : s.Length);
                }
                else if (c == '/' && At(i + 1, '*'))
                {
                    int close = s.IndexOf("*/", i + 2, StringComparison.Ordinal);
                    i = Blank(i, close < 0 ? s.Length : close + 2);
                }
                else if (c == '\'')
                {
                    i = CharLiteral(i);
                }
                else if (c == '"' || ((c == '$' || c == '@') && StringStartsAt(i)))
                {
                    i = StringLiteral(i);
                }
                else if (c is '(' or '[' or '{')
                {
                    depth++;
                    i++;
                }
                else if (c is ')' or ']')
                {
                    depth--;
                    i++;
                }
                else if (c == '}')
                {
                    if (depth == 0)
                    {
                        return i;
                    }
                    depth--;
                    i++;
                }
                else if (inHole && depth == 0 && c == ':' && !At(i + 1, ':') && !(i > 0 && s[i - 1] == ':'))
                {
                    int close = s.IndexOf('}', i);
                    return Blank(i, close < 0 ? s.Length : close);
                }
                else
                {
                    i++;
                }
            }
            return i;
        }

        private bool At(int i, char c) => i < s.Length && s[i] == c;

        private int Blank(int from, int to)
        {
            for (int k = from; k < to; k++)
            {
                if (output[k] is not '\n' and not '\r')
                {
                    output[k] = ' ';
                }
            }
            return to;
        }

        private bool StringStartsAt(int i)
        {
            int k = i;
            while (k < s.Length && (s[k] == '$' || s[k] == '@'))
            {
                k++;
            }
            return At(k, '"');
        }

        private int CharLiteral(int i)
        {
            int k = i + 1;
            while (k < s.Length && s[k] != '\'' && s[k] != '\n')
            {
                k += s[k] == '\\' ? 2 : 1;
            }
            return Blank(i, Math.Min(k + 1, s.Length));
        }

        private int StringLiteral(int start)
        {
            int i = start;
            int dollars = 0;
            bool verbatim = false;
            while (s[i] != '"')
            {
                if (s[i] == '$')
                {
                    dollars++;
                }
                else
                {
                    verbatim = true;
                }
                i++;
            }
            int quotes = 0;
            while (At(i + quotes, '"'))
            {
                quotes++;
            }
            Blank(start, i);
            if (quotes >= 3)
            {
                return RawString(i, quotes, dollars);
            }
            if (quotes == 2 && !verbatim)
            {
                return Blank(i, i + 2); // ""
            }
            // One opening quote (or a verbatim string starting with an escaped quote).
            int braces = dollars > 0 ? 1 : 0;
            int k = i + 1;
            output[i] = ' ';
            while (k < s.Length)
            {
                char c = s[k];
                if (!verbatim && c == '\\')
                {
                    k = Blank(k, Math.Min(k + 2, s.Length));
                }
                else if (c == '"' && verbatim && At(k + 1, '"'))
                {
                    k = Blank(k, k + 2);
                }
                else if (c == '"')
                {
                    return Blank(k, k + 1);
                }
                else if (braces > 0 && c == '{' && At(k + 1, '{'))
                {
                    k = Blank(k, k + 2);
                }
                else if (braces > 0 && c == '{')
                {
                    output[k] = ' ';
                    int close = Code(k + 1, inHole: true);
                    k = Blank(close, Math.Min(close + 1, s.Length));
                }
                else
                {
                    k = Blank(k, k + 1);
                }
            }
            return k;
        }

        /// <summary>A raw string of <paramref name="quotes"/> quotes; with n dollars, holes open with n braces.</summary>
        private int RawString(int i, int quotes, int dollars)
        {
            string closing = new('"', quotes);
            int k = Blank(i, i + quotes);
            while (k < s.Length)
            {
                if (string.CompareOrdinal(s, k, closing, 0, quotes) == 0)
                {
                    return Blank(k, k + quotes);
                }
                if (dollars > 0 && Run(k, '{') >= dollars)
                {
                    int run = Run(k, '{');
                    // Braces beyond the hole's own are literal text before it.
                    Blank(k, k + run);
                    int close = Code(k + run, inHole: true);
                    k = Blank(close, Math.Min(close + dollars, s.Length));
                }
                else
                {
                    k = Blank(k, k + 1);
                }
            }
            return k;
        }

        private int Run(int i, char c)
        {
            int n = 0;
            while (At(i + n, c))
            {
                n++;
            }
            return n;
        }
    }
}
