namespace KataSharp.Runtime.Configuration;

/// <summary>Every problem found in a configuration file, reported together so one edit can fix them all.</summary>
public sealed class ConfigurationException : Exception
{
    public ConfigurationException(string source, IReadOnlyList<string> problems)
        : base(Format(source, problems))
    {
        Source = source;
        Problems = problems;
    }

    public new string Source { get; }

    public IReadOnlyList<string> Problems { get; }

    private static string Format(string source, IReadOnlyList<string> problems) =>
        problems.Count == 1
            ? $"configuration {source}: {problems[0]}"
            : $"configuration {source}: {problems.Count} problems:\n  - " + string.Join("\n  - ", problems);
}
