using KataSharp.Fuzz.Driver;
using KataSharp.Vmm.Events;
using KataSharp.Vmm.Tests.Virtio.Support;
using KataSharp.Vmm.Virtio;

namespace KataSharp.Fuzz.Targets;

/// <summary>
/// What every device target shares: the device behind a real <c>MmioTransport</c> on a manual event loop
/// (turned only here, so a seed replays), a <see cref="HostileDriver"/>, and the transport-level actions
/// (probe, random registers, hostile chains on any queue, ring vandalism, kicks, resets). A subclass adds
/// device-shaped requests and host-side events in <see cref="DeviceAction"/>.
/// </summary>
internal abstract class DeviceTarget : IFuzzTarget
{
    /// <summary>Turns of the loop after one step before a loop that is still busy counts as a busy loop.</summary>
    private const int MaxTurnsPerStep = 256;

    private readonly List<string> _hostProblems = [];
    private readonly List<Exception> _loopErrors = [];
    private readonly Dictionary<string, long> _coverage = [];
    private int _handledInternalErrors;

    protected DeviceTarget(Func<EventLoop, Action<string>, VirtioDevice> createDevice)
    {
        Loop = EventLoop.CreateManual("fuzz-loop", _loopErrors.Add, _hostProblems.Add);
        Fake = new FakeDriver(loop => createDevice(loop, DeviceLog), loop: Loop);
        Driver = new HostileDriver(Fake);
    }

    protected EventLoop Loop { get; }

    protected FakeDriver Fake { get; }

    protected HostileDriver Driver { get; }

    /// <summary>Percent of steps that are transport-level (the rest are <see cref="DeviceAction"/>).</summary>
    protected virtual int TransportPercent => 45;

    /// <summary>Descriptors the device's own host side may watch on the loop, beyond its queue eventfds.</summary>
    protected virtual int MaxOwnRegistrations => 0;

    public IReadOnlyDictionary<string, long> Coverage
    {
        get
        {
            _coverage["steps with the device live"] = _coverage.GetValueOrDefault("steps with the device live");
            CollectCoverage(_coverage);
            return _coverage;
        }
    }

    public void Step(Random random)
    {
        if (random.Next(100) < TransportPercent)
        {
            TransportAction(random);
        }
        else
        {
            DeviceAction(random);
        }
        RunLoopUntilIdle();
        if (Fake.Device.IsActivated && !Fake.Device.IsFailed)
        {
            _coverage["steps with the device live"] = _coverage.GetValueOrDefault("steps with the device live") + 1;
        }
    }

    private void TransportAction(Random random)
    {
        int queues = Fake.Device.Queues.Count;
        int choice = random.Next(100);
        if (choice < 4 || !Fake.Device.IsActivated && choice < 30)
        {
            Driver.Probe(random, WantedFeatures(random));
        }
        else if (choice < 40)
        {
            Driver.RegisterAccess(random);
        }
        else if (choice < 70)
        {
            int queue = random.Next(queues);
            Driver.PostChain(random, queue);
            Driver.Kick(random, queue);
        }
        else if (choice < 75)
        {
            Driver.CorruptRing(random, random.Next(queues));
        }
        else if (choice < 98)
        {
            Driver.Kick(random, random.Next(queues + 1));
        }
        else
        {
            Driver.Reset();
        }
    }

    /// <summary>The features a probe accepts (of those offered); null: all of them.</summary>
    protected virtual ulong? WantedFeatures(Random random) => null;

    /// <summary>A device-shaped request or a host-side event.</summary>
    protected abstract void DeviceAction(Random random);

    /// <summary>Adds the device's coverage counters.</summary>
    protected abstract void CollectCoverage(Dictionary<string, long> coverage);

    /// <summary>Device-specific bounds; null when kept. May throw <see cref="FuzzFindingException"/> for other broken rules.</summary>
    protected virtual string? CheckDeviceBounds() => null;

    /// <summary>True for a host-side log line the target caused on purpose (a backend it made fail).</summary>
    protected virtual bool IsExpectedHostLine(string line) => false;

    /// <summary>True when the transport's <paramref name="count"/> new internal errors, the last being
    /// <paramref name="last"/>, are host failures the target injected (not device bugs).</summary>
    protected virtual bool AreExpectedInternalErrors(int count, Exception? last) => false;

    /// <summary>For a device that serves its queues on its own thread (virtio-blk): waits until that thread has done
    /// what the loop handed it, so a step ends with the device idle and replays the same way (the thread's CPU time is
    /// not in the step's). Throws a <see cref="FindingKind.Hang"/> finding when it does not get idle.</summary>
    protected virtual void WaitForDeviceThread()
    {
    }

    /// <summary>Turns the loop until nothing is ready. A loop still busy after many turns with no new guest input
    /// (a level-triggered descriptor nobody drains, a queue re-kicking itself forever) is a finding.</summary>
    protected void RunLoopUntilIdle()
    {
        for (int turn = 0; turn < MaxTurnsPerStep; turn++)
        {
            WaitForDeviceThread();
            if (Loop.RunOnce(0) == 0)
            {
                RethrowLoopError();
                return;
            }
            RethrowLoopError();
        }
        throw new FuzzFindingException(FindingKind.BusyLoop, $"the event loop still had ready descriptors after {MaxTurnsPerStep} turns without guest input");
    }

    private void RethrowLoopError()
    {
        if (_loopErrors.Count > 0)
        {
            Exception e = _loopErrors[0];
            _loopErrors.Clear();
            throw new FuzzFindingException(FindingKind.Exception, $"escaped onto the event loop: {e}");
        }
    }

    public void CheckBounds()
    {
        if (Fake.Transport.InternalErrors != _handledInternalErrors)
        {
            int count = Fake.Transport.InternalErrors - _handledInternalErrors;
            _handledInternalErrors = Fake.Transport.InternalErrors;
            if (!AreExpectedInternalErrors(count, Fake.Transport.LastInternalError))
            {
                throw new FuzzFindingException(FindingKind.InternalError, $"contained by the transport: {Fake.Transport.LastInternalError}");
            }
        }
        if (_hostProblems.Count > 0)
        {
            throw new FuzzFindingException(FindingKind.InternalError, $"host problem reported: {_hostProblems[0]}");
        }
        int maxRegistrations = Fake.Device.Queues.Count + MaxOwnRegistrations;
        if (Loop.RegistrationCount > maxRegistrations)
        {
            throw new FuzzFindingException(FindingKind.UnboundedGrowth, $"{Loop.RegistrationCount} descriptors watched by the event loop (bound {maxRegistrations})");
        }
        if (Loop.PostedCount > 0)
        {
            throw new FuzzFindingException(FindingKind.UnboundedGrowth, $"{Loop.PostedCount} posted items left after the loop went idle");
        }
        if (CheckDeviceBounds() is { } violation)
        {
            throw new FuzzFindingException(FindingKind.UnboundedGrowth, violation);
        }
    }

    /// <summary>Device log lines: guest errors are expected by the thousand; anything else is a host problem.</summary>
    private void DeviceLog(string line)
    {
        if (!line.Contains("guest error:", StringComparison.Ordinal) && !IsExpectedHostLine(line))
        {
            _hostProblems.Add(line);
        }
    }

    public virtual void Dispose()
    {
        Fake.Dispose();
        Loop.Dispose();
    }
}
