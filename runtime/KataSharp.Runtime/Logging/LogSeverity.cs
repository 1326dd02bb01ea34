namespace KataSharp.Runtime.Logging;

/// <summary>The levels of shim log records, written as containerd's logrus names them.</summary>
public enum LogSeverity
{
    Debug,
    Info,
    Warning,
    Error,
}
