using System.Runtime.InteropServices;
using static KataSharp.Linux.Interop.SignalCalls;

namespace KataSharp.Linux.Interop;

/// <summary>sys/wait.h: waitid(2) and its id types and options (the siginfo_t it fills is <see cref="SignalCalls.SigInfo"/>).
/// C names, so the layout test compares each with the header.</summary>
internal static unsafe partial class WaitCalls
{
    private const string LibC = "libc.so.6";

    public const int P_ALL = 0;
    public const int P_PID = 1;
    public const int WNOHANG = 1;
    public const int WEXITED = 4;
    public const int WNOWAIT = 0x01000000;

    [LibraryImport(LibC, SetLastError = true)]
    public static partial int waitid(int idtype, int id, SigInfo* infop, int options);
}
