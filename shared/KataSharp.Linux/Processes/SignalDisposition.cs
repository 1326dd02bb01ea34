using KataSharp.Linux.Interop;
using static KataSharp.Linux.Interop.SignalCalls;

namespace KataSharp.Linux.Processes;

/// <summary>
/// Reads and resets a signal's disposition. Matters for SIGCHLD: when a process starts with SIGCHLD
/// ignored, the kernel reaps children by itself (exit codes are lost) and .NET keeps it ignored.
/// </summary>
public static unsafe class SignalDisposition
{
    public static bool IsIgnored(int signal)
    {
        SigAction current = default;
        Libc.Check(sigaction(signal, null, &current), $"sigaction({signal}, query)");
        return current.sa_handler == SIG_IGN;
    }

    /// <summary>Sets <paramref name="signal"/> back to SIG_DFL if it is ignored; returns whether it was.</summary>
    public static bool ResetIfIgnored(int signal)
    {
        if (!IsIgnored(signal))
        {
            return false;
        }
        SigAction dfl = new() { sa_handler = SIG_DFL };
        Libc.Check(sigaction(signal, &dfl, null), $"sigaction({signal}, SIG_DFL)");
        return true;
    }

    /// <summary>Ignores <paramref name="signal"/> (for tests of the reset).</summary>
    public static void Ignore(int signal)
    {
        SigAction ign = new() { sa_handler = SIG_IGN };
        Libc.Check(sigaction(signal, &ign, null), $"sigaction({signal}, SIG_IGN)");
    }
}
