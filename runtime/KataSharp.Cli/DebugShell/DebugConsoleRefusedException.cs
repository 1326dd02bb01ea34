namespace KataSharp.Cli.DebugShell;

/// <summary>`katasharp exec` cannot reach a debug console; the message says why and what to do.</summary>
public sealed class DebugConsoleRefusedException(string message, Exception? inner = null) : Exception(message, inner);
