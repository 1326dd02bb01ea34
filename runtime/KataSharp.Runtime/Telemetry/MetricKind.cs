namespace KataSharp.Runtime.Telemetry;

/// <summary>The Prometheus types KataSharp exports: counters only go up (restarting at zero with their process), gauges go both ways.</summary>
public enum MetricKind
{
    Counter,
    Gauge,
}
