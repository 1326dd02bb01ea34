namespace KataSharp.CriProbe;

/// <summary>A usage or environment error the probe reports as one line and exit code 125.</summary>
internal sealed class ProbeException(string message) : Exception(message);
