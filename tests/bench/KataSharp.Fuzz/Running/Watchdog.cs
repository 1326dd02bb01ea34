using System.Diagnostics;

namespace KataSharp.Fuzz.Running;

/// <summary>
/// Watches the fuzzing thread from another one: a step still running after the hang bound (wall clock) is a
/// spin or a blocked wait that will never return, so the finding is printed with its replay command and the
/// process exits (the stuck thread cannot be taken back).
/// </summary>
internal sealed class Watchdog : IDisposable
{
    public const int HangExitCode = 3;

    private readonly TimeSpan _limit;
    private readonly int _iterationsPerSeed;
    private readonly object _gate = new();
    private readonly Thread _thread;
    private readonly CancellationTokenSource _stop = new();
    private long _started;
    private string? _device;
    private int _seed;
    private int _iteration;
    private string _what = "";

    public Watchdog(TimeSpan limit, int iterationsPerSeed)
    {
        _limit = limit;
        _iterationsPerSeed = iterationsPerSeed;
        _thread = new Thread(Watch) { IsBackground = true, Name = "fuzz-watchdog" };
        _thread.Start();
    }

    /// <summary>A step (or target creation/disposal) starts now.</summary>
    public void Begin(string device, int seed, int iteration, string what = "step")
    {
        lock (_gate)
        {
            _device = device;
            _seed = seed;
            _iteration = iteration;
            _what = what;
            _started = Stopwatch.GetTimestamp();
        }
    }

    public void End()
    {
        lock (_gate)
        {
            _device = null;
        }
    }

    private void Watch()
    {
        while (!_stop.Token.WaitHandle.WaitOne(100))
        {
            lock (_gate)
            {
                if (_device is null || Stopwatch.GetElapsedTime(_started) < _limit)
                {
                    continue;
                }
                var finding = new Finding(_device, _seed, _iteration, FindingKind.Hang,
                    $"{_what} did not finish within {_limit.TotalMilliseconds:0} ms (a spin or a blocked wait)");
                Console.Out.Flush();
                Console.Error.WriteLine($"FINDING {finding.Kind} device={finding.Device} seed={finding.Seed} iteration={finding.Iteration}: {finding.Detail}");
                Console.Error.WriteLine($"  replay: {finding.Replay(_iterationsPerSeed)}");
                Console.Error.Flush();
                Environment.Exit(HangExitCode);
            }
        }
    }

    public void Dispose()
    {
        _stop.Cancel();
        _thread.Join();
        _stop.Dispose();
    }
}
