using System.Runtime.InteropServices;
using System.Text.RegularExpressions;
using KataSharp.Linux;
using KataSharp.Linux.Interop;
using KataSharp.Vmm.Tests.Support;
using Xunit;

namespace KataSharp.Vmm.Tests.Linux;

/// <summary>
/// One decision retries a call interrupted by a signal: <see cref="Libc.IsInterrupted"/> (and
/// <see cref="Libc.RetryTransfer"/>, which defers to it). Its answers for each errno, and that no other code in the
/// sources tests for EINTR itself.
/// </summary>
public sealed partial class EintrRetryTests
{
    /// <summary>Where EINTR means something else than "call again", and why: paths inside their project (the projects'
    /// top-level folders may move).</summary>
    private static readonly Dictionary<string, string> Allowed = new(StringComparer.Ordinal)
    {
        ["KataSharp.Linux/Errno.cs"] = "the value itself",
        ["KataSharp.Linux/Interop/Libc.cs"] = "the one retry decision",
        ["KataSharp.Linux/Sockets/StreamSocket.cs"] = "accept4 skips EINTR with the pending-connection errors it lists",
        ["KataSharp.Vmm/Kvm/VcpuFd.cs"] = "KVM_RUN's EINTR is the exit a kick asks for, not a call to repeat",
    };

    [Fact]
    public void Eintr_is_retried_eagain_is_would_block_and_anything_else_throws_naming_the_call()
    {
        Marshal.SetLastPInvokeError((int)Errno.EINTR);
        Assert.True(Libc.IsInterrupted("read"));
        Assert.True(Libc.RetryTransfer(-1, "read", out _));

        Marshal.SetLastPInvokeError((int)Errno.EAGAIN);
        Assert.False(Libc.RetryTransfer(-1, "read", out int wouldBlock));
        Assert.Equal(-1, wouldBlock);

        Marshal.SetLastPInvokeError((int)Errno.EBADF);
        var e = Assert.Throws<LinuxException>(() => Libc.RetryTransfer(-1, "read(x)", out _));
        Assert.Equal(("read(x)", Errno.EBADF), (e.Call, e.Errno));
        Assert.Throws<LinuxException>(() => Libc.IsInterrupted("read(x)"));

        Assert.False(Libc.RetryTransfer(5, "read", out int transferred));
        Assert.Equal(5, transferred);
    }

    [Fact]
    public void No_other_code_decides_on_eintr()
    {
        List<string> offenders = SourceScan.Matches(Eintr(), skip: IsAllowed);
        Assert.True(offenders.Count == 0, "EINTR handled outside Libc.IsInterrupted/RetryTransfer:\n" + string.Join('\n', offenders));
        // Each exception still is one: a file that no longer handles EINTR (or moved) leaves the list.
        List<string> stillThere = SourceScan.Matches(Eintr(), skip: relative => !IsAllowed(relative));
        foreach (string allowed in Allowed.Keys)
        {
            Assert.True(stillThere.Any(m => m.Contains("/" + allowed + ":", StringComparison.Ordinal)),
                $"{allowed} no longer handles EINTR: drop it from the list");
        }
    }

    private static bool IsAllowed(string relative) => Allowed.Keys.Any(a => relative.EndsWith("/" + a, StringComparison.Ordinal));

    [GeneratedRegex(@"\bEINTR\b")]
    private static partial Regex Eintr();
}
