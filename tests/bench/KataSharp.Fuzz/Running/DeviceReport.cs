namespace KataSharp.Fuzz.Running;

/// <summary>What one device's run produced: the numbers the README records.</summary>
internal sealed class DeviceReport(string device)
{
    public string Device { get; } = device;

    public long Iterations { get; set; }

    public int Seeds { get; set; }

    public TimeSpan Elapsed { get; set; }

    /// <summary>The most CPU one step took (after JIT warm-up it is the cost of the worst bounded turn).</summary>
    public TimeSpan MaxStepCpu { get; set; }

    public List<Finding> Findings { get; } = [];

    /// <summary>Coverage counters summed over every seed.</summary>
    public Dictionary<string, long> Coverage { get; } = [];

    public double IterationsPerSecond => Elapsed.TotalSeconds > 0 ? Iterations / Elapsed.TotalSeconds : 0;

    public void AddCoverage(IReadOnlyDictionary<string, long> counters)
    {
        foreach (var (name, value) in counters)
        {
            Coverage[name] = Coverage.GetValueOrDefault(name) + value;
        }
    }
}
