using KataSharp.Runtime.Configuration;
using KataSharp.Runtime.Persistence;

namespace KataSharp.Cli.DebugShell;

/// <summary>
/// Which socket reaches a sandbox's debug console, decided from the shim's persisted state alone (never by asking the
/// guest): the sandbox must exist under the state root and must have been booted with [runtime] debug_console. Each
/// refusal says what to do about it.
/// </summary>
public static class DebugConsoleTarget
{
    /// <summary>The hybrid vsock socket of <paramref name="sandboxId"/>'s VM.</summary>
    /// <exception cref="DebugConsoleRefusedException">No such sandbox, or it runs without the debug console.</exception>
    public static string Resolve(SandboxStateStore store, string sandboxId)
    {
        SandboxRecord? record;
        try
        {
            record = store.Load(sandboxId);
        }
        catch (ArgumentException e)
        {
            throw new DebugConsoleRefusedException($"'{sandboxId}' is not a sandbox id: {e.Message}");
        }
        catch (UnauthorizedAccessException)
        {
            throw new DebugConsoleRefusedException($"{store.Root} is root's: run katasharp exec as root");
        }
        if (record is null)
        {
            throw new DebugConsoleRefusedException($"no sandbox '{sandboxId}' under {store.Root} (${SandboxStateStore.RootVariable} overrides that): " +
                "give the id of a running pod's sandbox (with ctr, the first container's id; with CRI, the pod sandbox id: crictl pods --no-trunc)");
        }
        if (!record.DebugConsole)
        {
            string config = ConfigurationLoader.Locate().Path ?? "the configuration file";
            throw new DebugConsoleRefusedException($"sandbox '{sandboxId}' was started without the debug console: set debug_console = true " +
                $"under [runtime] in {config} ([runtime] debug_console; it gives root on this host a root shell in the guest) and restart the pod");
        }
        return SandboxPaths.VsockSocket(store.DirectoryOf(sandboxId));
    }
}
