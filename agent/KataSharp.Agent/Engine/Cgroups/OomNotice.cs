namespace KataSharp.Agent.Engine.Cgroups;

/// <summary>An OOM kill in a container: its memory.events oom_kill counter after the kill.</summary>
public sealed record OomNotice(string ContainerId, ulong OomKillCount, DateTimeOffset At);
