namespace KataSharp.TestHost.Modes;

/// <summary>The chosen mode and the facts that chose it (logged, so a reader knows why).</summary>
internal sealed record ModeDecision(TestHostMode Mode, string Reason);
