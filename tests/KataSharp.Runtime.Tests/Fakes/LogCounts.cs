using System.Text.RegularExpressions;

namespace KataSharp.Runtime.Tests.Fakes;

/// <summary>Adds up the counts that summary records carry ("dropped N …"), which may be split over several records.</summary>
public static class LogCounts
{
    /// <param name="log">Shim log text, one record per line.</param>
    /// <param name="message">The record's msg with "{n}" where the count stands, e.g. "dropped {n} guest log lines (rate limit)".</param>
    public static long Sum(string log, string message)
    {
        var pattern = new Regex("msg=\"" + Regex.Escape(message).Replace("\\{n}", "([0-9]+)", StringComparison.Ordinal) + "\"");
        return log.Split('\n').Select(line => pattern.Match(line)).Where(m => m.Success).Sum(m => long.Parse(m.Groups[1].Value));
    }
}
