namespace KataSharp.Runtime.Persistence;

/// <summary>
/// Where a sandbox's host-side files are inside its state directory (<see cref="SandboxStateStore.DirectoryOf"/>), for the
/// shim that makes them and the `katasharp` CLI that finds them: one place to change when the layout does.
/// </summary>
public static class SandboxPaths
{
    /// <summary>
    /// The VM's hybrid vsock unix socket: a host client connects, writes "CONNECT &lt;port&gt;\n", reads "OK ...\n" and then
    /// talks to that guest port (`katasharp exec` reaches the debug console this way); guest connections to host port P
    /// go to "&lt;this&gt;_P".
    /// </summary>
    public static string VsockSocket(string stateDirectory) => Path.Combine(VmmRoot(stateDirectory), "vsock.sock");

    /// <summary>The directory the confined VMM pivots into (it holds only the vsock sockets); the unconfined VMM binds its
    /// socket there too, so the socket has one place either way.</summary>
    public static string VmmRoot(string stateDirectory) => Path.Combine(stateDirectory, "vmm-root");
}
