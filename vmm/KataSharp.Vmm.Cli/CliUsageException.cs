namespace KataSharp.Vmm.Cli;

/// <summary>The command line is malformed; the message says which argument.</summary>
public sealed class CliUsageException(string message) : Exception(message);
