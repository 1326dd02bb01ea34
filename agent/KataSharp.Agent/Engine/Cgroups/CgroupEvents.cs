using KataSharp.Agent.Engine.Io;
using KataSharp.Agent.Errors;
using KataSharp.Linux.Events;

namespace KataSharp.Agent.Engine.Cgroups;

/// <summary>Waits for a cgroup v2 file (cgroup.events, memory.events) to reach a state: the kernel raises
/// IN_MODIFY on every change, so this wakes on changes instead of polling.</summary>
public static class CgroupEvents
{
    public static async Task WaitForAsync(FdPoller poller, string file, Func<string, bool> reached, TimeSpan timeout, CancellationToken cancellationToken)
    {
        using Inotify inotify = Inotify.Create();
        inotify.AddWatch(file, Inotify.Modify);
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(timeout);
        try
        {
            // Check after the watch exists, so a change between the check and the wait is not missed.
            while (!reached(File.ReadAllText(file)))
            {
                await poller.WaitReadableAsync(inotify.Descriptor, deadline.Token).ConfigureAwait(false);
                inotify.ReadEvents();
            }
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw AgentException.Internal($"{file} did not reach the expected state within {timeout.TotalSeconds}s: {File.ReadAllText(file).Replace('\n', ' ')}");
        }
        finally
        {
            poller.Forget(inotify.Descriptor);
        }
    }
}
