using System.Text.RegularExpressions;
using KataSharp.Linux.Interop;
using KataSharp.Vmm.Tests.Support;
using Xunit;

namespace KataSharp.Vmm.Tests.Linux;

/// <summary>
/// Syscall numbers are typed in one table (<see cref="SyscallNumbers"/>), each checked against &lt;sys/syscall.h&gt;,
/// and no other code passes syscall(2) a number of its own: a call glibc wraps is imported by name.
/// </summary>
public sealed partial class SyscallNumberTests
{
    [Fact]
    public void Every_syscall_number_matches_sys_syscall_h()
    {
        var c = new CHeaderAssertions("sys/syscall.h");
        c.Constants(typeof(SyscallNumbers));
        c.Compile();
    }

    [Fact]
    public void Every_raw_syscall_in_the_sources_takes_its_number_from_the_table()
    {
        List<string> offenders = SourceScan.Matches(RawSyscall());
        Assert.True(offenders.Count == 0,
            "syscall(2) with a number not from SyscallNumbers (add it there, or import glibc's wrapper):\n" + string.Join('\n', offenders));
    }

    /// <summary>A call of syscall( whose first argument is anything but a SyscallNumbers constant. The import itself
    /// (UnistdCalls: "partial long syscall(long number, ...") declares the parameter and is no call.</summary>
    [GeneratedRegex(@"(?<!\bpartial\s+\w+\s+)\bsyscall\s*\(\s*(?!SyscallNumbers\.)[^,)]*")]
    private static partial Regex RawSyscall();
}
