using System.Globalization;
using KataSharp.Fuzz;
using KataSharp.Fuzz.Running;

// The hostile-guest fuzz benchmark: see FuzzOptions.Usage and tests/bench/fuzz.sh.
if (args is ["--help"] or ["-h"])
{
    Console.WriteLine(FuzzOptions.Usage);
    return 0;
}
FuzzOptions options;
try
{
    options = FuzzOptions.Parse(args);
}
catch (ArgumentException e)
{
    Console.Error.WriteLine($"fuzz: {e.Message}");
    return 2;
}

Console.WriteLine($"fuzz: devices {string.Join(", ", options.Devices)}; {(options.SingleSeed ? $"seed {options.FirstSeed}" : $"seeds {options.FirstSeed}..{options.FirstSeed + options.Seeds - 1}")}, "
    + $"{options.IterationsPerSeed} iterations each; slow step > {options.SlowStep.TotalMilliseconds:0} ms CPU, hang > {options.HangStep.TotalMilliseconds:0} ms; "
    + $"{Environment.ProcessorCount} cores, load {File.ReadAllText("/proc/loadavg").Split(' ')[0]}");
var reports = new List<DeviceReport>();
using (var watchdog = new Watchdog(options.HangStep, options.IterationsPerSeed))
{
    var runner = new FuzzRunner(options, watchdog);
    foreach (string device in options.Devices)
    {
        DeviceReport report = runner.Run(device, line => Console.WriteLine($"  ... {line}"));
        reports.Add(report);
        Console.WriteLine($"  {device}: done, {report.Iterations} iterations in {report.Elapsed.TotalSeconds:0.0} s");
    }
}

Console.WriteLine();
Console.WriteLine($"{"device",-7} {"iterations",11} {"seconds",8} {"iter/s",8} {"seeds",6} {"max step CPU ms",16} {"findings",9}");
foreach (DeviceReport r in reports)
{
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
        $"{r.Device,-7} {r.Iterations,11} {r.Elapsed.TotalSeconds,8:0.0} {r.IterationsPerSecond,8:0} {r.Seeds,6} {r.MaxStepCpu.TotalMilliseconds,16:0.00} {r.Findings.Count,9}"));
}
Console.WriteLine();
foreach (DeviceReport r in reports)
{
    Console.WriteLine($"coverage {r.Device}: {string.Join(", ", r.Coverage.Select(c => $"{c.Key} {c.Value}"))}");
}
int findings = 0;
foreach (Finding f in reports.SelectMany(r => r.Findings))
{
    if (findings++ < 20)
    {
        Console.WriteLine();
        Console.WriteLine($"FINDING {f.Kind} device={f.Device} seed={f.Seed} iteration={f.Iteration}: {f.Detail}");
        Console.WriteLine($"  replay: {f.Replay(options.IterationsPerSeed)}");
    }
}
if (findings > 20)
{
    Console.WriteLine($"... and {findings - 20} more findings");
}
return findings == 0 ? 0 : 1;
