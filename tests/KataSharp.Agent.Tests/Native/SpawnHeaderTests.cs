using System.Reflection;
using System.Text.RegularExpressions;
using KataSharp.Agent.Engine.Spawning;
using KataSharp.Agent.Tests.Support;
using Xunit;

namespace KataSharp.Agent.Tests.Native;

/// <summary>ks_spawn.h and the C# side (SpawnProtocol, SpawnStep) must agree on every number.</summary>
public sealed partial class SpawnHeaderTests
{
    [GeneratedRegex(@"^#define (KS_\w+) (\d+)", RegexOptions.Multiline)]
    private static partial Regex Define();

    private static Dictionary<string, long> Header() =>
        Define().Matches(File.ReadAllText(Path.Combine(Repository.Root, "agent", "native", "ks_spawn.h")))
            .ToDictionary(m => m.Groups[1].Value, m => long.Parse(m.Groups[2].Value));

    private static string Snake(string pascal) => Regex.Replace(pascal, "(?<=[a-z0-9])([A-Z])", "_$1").ToUpperInvariant();

    [Fact]
    public void EveryTagModeAndStatus_MatchesTheHeader()
    {
        Dictionary<string, long> header = Header();
        var pairs = new List<(string, long)>();
        foreach ((Type type, string prefix) in new[] { (typeof(SpawnProtocol.Tag), "KS_TAG_"), (typeof(SpawnProtocol.Mode), "KS_MODE_"), (typeof(SpawnProtocol.Status), "KS_STATUS_") })
        {
            foreach (FieldInfo f in type.GetFields(BindingFlags.Public | BindingFlags.Static))
            {
                string name = (prefix + Snake(f.Name)) switch { "KS_TAG_JOIN_NAMESPACE" => "KS_TAG_JOIN_NS", string s => s };
                pairs.Add((name, Convert.ToInt64(f.GetValue(null))));
            }
        }
        pairs.Add(("KS_EXIT_SETUP_FAILED", SpawnProtocol.ExitSetupFailed));
        pairs.Add(("KS_EXIT_NOT_STARTED", SpawnProtocol.ExitNotStarted));
        foreach ((string name, long value) in pairs)
        {
            Assert.True(header.TryGetValue(name, out long expected), $"{name} is missing from ks_spawn.h");
            Assert.Equal(expected, value);
        }
        Assert.Equal(header.Keys.Count(k => k.StartsWith("KS_TAG_", StringComparison.Ordinal)), typeof(SpawnProtocol.Tag).GetFields().Length);
    }

    [Fact]
    public void EveryStep_MatchesTheHeader()
    {
        Dictionary<string, long> header = Header();
        foreach (SpawnStep step in Enum.GetValues<SpawnStep>())
        {
            Assert.Equal(header[$"KS_STEP_{Snake(step.ToString())}"], (long)step);
        }
        Assert.Equal(header.Keys.Count(k => k.StartsWith("KS_STEP_", StringComparison.Ordinal)), Enum.GetValues<SpawnStep>().Length);
    }
}
