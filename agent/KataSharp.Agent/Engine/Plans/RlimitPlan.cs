namespace KataSharp.Agent.Engine.Plans;

/// <summary>One setrlimit(2) call: RLIMIT_* resource number, soft and hard values.</summary>
public readonly record struct RlimitPlan(int Resource, ulong Soft, ulong Hard);
