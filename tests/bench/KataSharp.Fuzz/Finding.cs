namespace KataSharp.Fuzz;

/// <summary>One finding, with everything needed to replay it.</summary>
internal sealed record Finding(string Device, int Seed, int Iteration, FindingKind Kind, string Detail)
{
    public string Replay(int iterationsPerSeed) =>
        $"tests/bench/fuzz.sh --device {Device} --seed {Seed}" + (iterationsPerSeed == FuzzOptions.DefaultIterationsPerSeed ? "" : $" --iterations-per-seed {iterationsPerSeed}");
}
