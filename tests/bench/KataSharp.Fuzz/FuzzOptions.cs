using System.Globalization;

namespace KataSharp.Fuzz;

/// <summary>The command line of the fuzz benchmark (see <see cref="Usage"/>).</summary>
internal sealed record FuzzOptions
{
    public const int DefaultIterationsPerSeed = 10_000;
    public const long DefaultIterations = 1_000_000;

    public const string Usage = """
        usage: fuzz.sh [--device blk|vsock|rng|mmio|net|all] [--iterations N] [--iterations-per-seed K]
                       [--first-seed S] [--seed S] [--slow-ms MS] [--hang-ms MS]
          --device               which device model to fuzz (default: all, one after the other)
          --iterations           iterations per device (default 1000000): seeds are run until reached
          --iterations-per-seed  steps per seed on a fresh device (default 10000)
          --first-seed           the first seed (default 1); seeds then count up
          --seed                 replay exactly one seed (what a finding's replay command uses)
          --slow-ms              CPU milliseconds one step may take before it is a slow turn (default 50)
          --hang-ms              wall milliseconds one step may take before it is a hang (default 10000)
        """;

    public IReadOnlyList<string> Devices { get; init; } = [.. FuzzTargets.All.Keys];

    public long Iterations { get; init; } = DefaultIterations;

    public int IterationsPerSeed { get; init; } = DefaultIterationsPerSeed;

    public int FirstSeed { get; init; } = 1;

    /// <summary>Set by --seed: exactly one seed.</summary>
    public bool SingleSeed { get; init; }

    public TimeSpan SlowStep { get; init; } = TimeSpan.FromMilliseconds(50);

    public TimeSpan HangStep { get; init; } = TimeSpan.FromSeconds(10);

    public int Seeds => SingleSeed ? 1 : (int)Math.Max(1, (Iterations + IterationsPerSeed - 1) / IterationsPerSeed);

    /// <summary>Parses the arguments; throws <see cref="ArgumentException"/> naming the bad one and the fix.</summary>
    public static FuzzOptions Parse(string[] args)
    {
        var options = new FuzzOptions();
        for (int i = 0; i < args.Length; i++)
        {
            string name = args[i];
            string Value() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{name} needs a value\n{Usage}");
            options = name switch
            {
                "--device" => options with { Devices = Device(Value()) },
                "--iterations" => options with { Iterations = Number(name, Value(), 1) },
                "--iterations-per-seed" => options with { IterationsPerSeed = (int)Number(name, Value(), 1, int.MaxValue) },
                "--first-seed" => options with { FirstSeed = (int)Number(name, Value(), int.MinValue, int.MaxValue) },
                "--seed" => options with { FirstSeed = (int)Number(name, Value(), int.MinValue, int.MaxValue), SingleSeed = true },
                "--slow-ms" => options with { SlowStep = TimeSpan.FromMilliseconds(Number(name, Value(), 1)) },
                "--hang-ms" => options with { HangStep = TimeSpan.FromMilliseconds(Number(name, Value(), 1)) },
                _ => throw new ArgumentException($"unknown option '{name}'\n{Usage}"),
            };
        }
        return options;
    }

    private static IReadOnlyList<string> Device(string value)
    {
        if (value == "all")
        {
            return [.. FuzzTargets.All.Keys];
        }
        if (!FuzzTargets.All.ContainsKey(value))
        {
            throw new ArgumentException($"unknown device '{value}': use one of {string.Join(", ", FuzzTargets.All.Keys)} or all");
        }
        return [value];
    }

    private static long Number(string name, string value, long min, long max = long.MaxValue)
    {
        if (!long.TryParse(value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out long n) || n < min || n > max)
        {
            throw new ArgumentException($"{name} '{value}' is not a number between {min} and {max}");
        }
        return n;
    }
}
