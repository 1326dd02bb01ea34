using KataSharp.Linux.Interop;
using Tmds.Linux;
using static Tmds.Linux.LibC;

namespace KataSharp.Linux.Processes;

/// <summary>
/// Reads and resets a signal's disposition. Matters for SIGCHLD: when a process starts with SIGCHLD
/// ignored, the kernel reaps children by itself (exit codes are lost) and .NET keeps it ignored.
/// </summary>
public static unsafe class SignalDisposition
{
    public static bool IsIgnored(int signal)
    {
        sigaction current = default;
        Libc.Check(LibC.sigaction(signal, null, &current), $"sigaction({signal}, query)");
        return current.sa_handler == SIG_IGN;
    }

    /// <summary>Sets <paramref name="signal"/> back to SIG_DFL if it is ignored; returns whether it was.</summary>
    public static bool ResetIfIgnored(int signal)
    {
        if (!IsIgnored(signal))
        {
            return false;
        }
        sigaction dfl = default;
        dfl.sa_handler = SIG_DFL;
        Libc.Check(LibC.sigaction(signal, &dfl, null), $"sigaction({signal}, SIG_DFL)");
        return true;
    }

    /// <summary>Ignores <paramref name="signal"/> (for tests of the reset).</summary>
    public static void Ignore(int signal)
    {
        sigaction ign = default;
        ign.sa_handler = SIG_IGN;
        Libc.Check(LibC.sigaction(signal, &ign, null), $"sigaction({signal}, SIG_IGN)");
    }
}
