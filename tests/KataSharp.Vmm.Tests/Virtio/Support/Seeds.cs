namespace KataSharp.Vmm.Tests.Virtio.Support;

/// <summary>
/// Seeds for randomized tests: a fixed list by default (reproducible runs), or KATASHARP_FUZZ_SEED to replay
/// one failure, and KATASHARP_FUZZ_ITERATIONS to run more. Every failure message names its seed.
/// </summary>
internal static class Seeds
{
    public static IEnumerable<int> For(string test, int defaultCount)
    {
        if (int.TryParse(Environment.GetEnvironmentVariable("KATASHARP_FUZZ_SEED"), out int only))
        {
            yield return only;
            yield break;
        }
        int count = int.TryParse(Environment.GetEnvironmentVariable("KATASHARP_FUZZ_ITERATIONS"), out int n) ? n : defaultCount;
        int baseSeed = StableHash(test);
        for (int i = 0; i < count; i++)
        {
            yield return baseSeed + i;
        }
    }

    /// <summary>Runs <paramref name="body"/> for each seed; a failure is rethrown with the seed and how to replay it.</summary>
    public static void Run(string test, int defaultCount, Action<int> body)
    {
        foreach (int seed in For(test, defaultCount))
        {
            try
            {
                body(seed);
            }
            catch (Exception e)
            {
                throw new SeedFailure($"{test} failed with seed {seed} (replay: KATASHARP_FUZZ_SEED={seed}): {e.Message}", e);
            }
        }
    }

    private static int StableHash(string text)
    {
        int hash = 17;
        foreach (char c in text)
        {
            hash = unchecked(hash * 31 + c);
        }
        return hash & 0x3FFF_FFFF;
    }
}

internal sealed class SeedFailure(string message, Exception inner) : Exception(message, inner);
