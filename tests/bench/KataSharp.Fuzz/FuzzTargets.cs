using KataSharp.Fuzz.Targets;

namespace KataSharp.Fuzz;

/// <summary>Every fuzz target by its --device name. A new device adds one line.</summary>
internal static class FuzzTargets
{
    public static readonly IReadOnlyDictionary<string, Func<int, IFuzzTarget>> All = new Dictionary<string, Func<int, IFuzzTarget>>
    {
        ["blk"] = seed => new BlockTarget(seed),
        ["vsock"] = _ => new VsockTarget(),
        ["rng"] = _ => new RngTarget(),
        ["mmio"] = _ => new MmioTarget(),
        ["net"] = seed => new NetTarget(seed),
    };
}
