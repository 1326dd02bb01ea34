using KataSharp.Linux.Processes;
using Xunit;

namespace KataSharp.Vmm.Tests.Linux;

/// <summary>kill(2)'s wide targets stay out of reach: a bug's 0 or negative id never becomes "my group" or "everyone".</summary>
public sealed class ProcessSignalTests
{
    [Theory]
    [InlineData(0)]
    [InlineData(-1)]
    [InlineData(-1234)]
    public void Only_a_positive_group_or_pid_is_signalled(int id)
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => ProcessSignal.SendToGroup(id, 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => ProcessSignal.Send(id, 0));
    }

    [Fact]
    public void A_group_with_no_process_left_is_false_not_an_error()
    {
        // pid_max is at most 2^22: no group can have this id.
        Assert.False(ProcessSignal.SendToGroup(int.MaxValue, 0));
    }
}
