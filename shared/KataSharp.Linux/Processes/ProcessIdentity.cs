using static KataSharp.Linux.Interop.UnistdCalls;

namespace KataSharp.Linux.Processes;

/// <summary>Who this process runs as (effective ids), e.g. to accept only same-user socket peers.</summary>
public static class ProcessIdentity
{
    public static uint EffectiveUserId => geteuid();

    public static uint EffectiveGroupId => getegid();
}
