namespace KataSharp.Confinement;

/// <summary>The descriptor numbers the shim gives the VMM process (besides stdin /dev/null, stdout the guest console,
/// stderr the VMM's own log lines).</summary>
public static class VmmDescriptors
{
    /// <summary>The control channel (<see cref="VmmMessage"/>s over SOCK_SEQPACKET).</summary>
    public const int Control = 3;

    /// <summary>The first tap; pod interface i gets FirstTap + i.</summary>
    public const int FirstTap = 4;
}
