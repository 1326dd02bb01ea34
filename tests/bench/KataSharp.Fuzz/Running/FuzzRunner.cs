using System.Diagnostics;
using KataSharp.Linux.Threading;

namespace KataSharp.Fuzz.Running;

/// <summary>
/// Runs one device's seeds: a fresh target per seed, <see cref="FuzzOptions.IterationsPerSeed"/> steps each,
/// every step timed in CPU time (a slow one is replayed from its seed to rule out JIT and noise), bounds
/// checked after every step, and after every seed the process's descriptors and (every 10 seeds) its
/// managed heap compared with what they were after the first seed.
/// </summary>
internal sealed class FuzzRunner(FuzzOptions options, Watchdog watchdog)
{
    /// <summary>Descriptors a finished seed may leave open beyond the first seed's count (thread-pool sockets and such).</summary>
    private const int FdSlack = 16;

    /// <summary>Managed heap growth over the first seed that counts as unbounded growth.</summary>
    private const long HeapSlackBytes = 128L << 20;

    public DeviceReport Run(string device, Action<string> progress)
    {
        var report = new DeviceReport(device);
        Func<int, IFuzzTarget> create = FuzzTargets.All[device];
        var clock = Stopwatch.StartNew();
        var lastProgress = Stopwatch.StartNew();
        int fdBaseline = 0;
        long heapBaseline = 0;
        for (int n = 0; n < options.Seeds; n++)
        {
            int seed = options.FirstSeed + n;
            RunSeed(device, create, seed, report);
            report.Seeds++;
            if (n == 0)
            {
                fdBaseline = OpenDescriptors();
                heapBaseline = GC.GetTotalMemory(forceFullCollection: true);
            }
            else
            {
                CheckProcessGrowth(device, seed, report, fdBaseline, heapBaseline, checkHeap: n % 10 == 0);
            }
            if (lastProgress.Elapsed > TimeSpan.FromSeconds(15))
            {
                progress($"{device}: {report.Iterations} iterations, {report.Seeds} seeds, {report.Findings.Count} findings, {report.Iterations / clock.Elapsed.TotalSeconds:0}/s");
                lastProgress.Restart();
            }
        }
        report.Elapsed = clock.Elapsed;
        return report;
    }

    private void RunSeed(string device, Func<int, IFuzzTarget> create, int seed, DeviceReport report)
    {
        watchdog.Begin(device, seed, -1, "creating the target");
        IFuzzTarget target = create(seed);
        var random = new Random(seed);
        int iteration = 0;
        try
        {
            for (; iteration < options.IterationsPerSeed; iteration++)
            {
                watchdog.Begin(device, seed, iteration);
                TimeSpan before = LinuxThread.CpuTime;
                target.Step(random);
                target.CheckBounds();
                TimeSpan cpu = LinuxThread.CpuTime - before;
                report.Iterations++;
                if (cpu > options.SlowStep && IsSlowAgain(device, create, seed, iteration, out TimeSpan again))
                {
                    report.Findings.Add(new Finding(device, seed, iteration, FindingKind.SlowTurn,
                        $"one step used {cpu.TotalMilliseconds:0.#} ms of CPU, {again.TotalMilliseconds:0.#} ms when replayed (bound {options.SlowStep.TotalMilliseconds:0} ms)"));
                    break;
                }
                if (cpu > report.MaxStepCpu)
                {
                    report.MaxStepCpu = cpu;
                }
            }
        }
        catch (FuzzFindingException e)
        {
            report.Findings.Add(new Finding(device, seed, iteration, e.Kind, e.Message));
        }
        catch (Exception e)
        {
            report.Findings.Add(new Finding(device, seed, iteration, FindingKind.Exception, e.ToString()));
        }
        finally
        {
            report.AddCoverage(target.Coverage);
            watchdog.Begin(device, seed, iteration, "disposing the target");
            target.Dispose();
            watchdog.End();
        }
    }

    /// <summary>Replays <paramref name="seed"/> on a fresh target up to <paramref name="iteration"/> and measures that
    /// step again: a slow first run is often the JIT compiling a new path, or the machine being busy.</summary>
    private bool IsSlowAgain(string device, Func<int, IFuzzTarget> create, int seed, int iteration, out TimeSpan again)
    {
        using IFuzzTarget replay = create(seed);
        var random = new Random(seed);
        for (int i = 0; i < iteration; i++)
        {
            watchdog.Begin(device, seed, i, "replaying a slow step");
            replay.Step(random);
        }
        watchdog.Begin(device, seed, iteration, "replaying a slow step");
        TimeSpan before = LinuxThread.CpuTime;
        replay.Step(random);
        again = LinuxThread.CpuTime - before;
        return again > options.SlowStep;
    }

    private static void CheckProcessGrowth(string device, int seed, DeviceReport report, int fdBaseline, long heapBaseline, bool checkHeap)
    {
        int fds = OpenDescriptors();
        if (fds > fdBaseline + FdSlack)
        {
            report.Findings.Add(new Finding(device, seed, -1, FindingKind.UnboundedGrowth,
                $"{fds} descriptors open after the seed was disposed, {fdBaseline} after the first seed: something leaks"));
        }
        if (checkHeap && GC.GetTotalMemory(forceFullCollection: true) is var heap && heap > heapBaseline + HeapSlackBytes)
        {
            report.Findings.Add(new Finding(device, seed, -1, FindingKind.UnboundedGrowth,
                $"managed heap {heap >> 20} MiB after the seed, {heapBaseline >> 20} MiB after the first seed"));
        }
    }

    private static int OpenDescriptors() => Directory.GetFileSystemEntries("/proc/self/fd").Length;
}
