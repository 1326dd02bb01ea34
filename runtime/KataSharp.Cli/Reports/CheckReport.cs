namespace KataSharp.Cli.Reports;

/// <summary>
/// `katasharp check --json`: {"ok": bool, "failures": n, "checks": [{"name", "status", "detail"}]}.
/// status is "ok", "fail" (katasharp cannot run pods) or "warn" (it can, with a caveat); the text
/// output prints the same items one per line.
/// </summary>
public sealed record CheckReport(bool Ok, int Failures, IReadOnlyList<CheckItem> Checks);

/// <summary>One fact `katasharp check` looked at.</summary>
public sealed record CheckItem(string Name, string Status, string Detail)
{
    public const string Passed = "ok";
    public const string Failed = "fail";
    public const string Warning = "warn";
}
