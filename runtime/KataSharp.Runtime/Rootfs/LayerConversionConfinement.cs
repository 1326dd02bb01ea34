namespace KataSharp.Runtime.Rootfs;

/// <summary>
/// How mkfs.erofs is confined while it reads an image layer (content from a registry: untrusted names, sizes,
/// xattrs). Issue 11: the converter gets no network, no IPC or hostname of the host's, no privilege it could
/// gain by exec (no_new_privs) and, of root's capabilities, only the two it needs:
/// <list type="bullet">
/// <item>CAP_DAC_READ_SEARCH — read every file of the layer whatever its owner and mode (0000 files exist in images);</item>
/// <item>CAP_SYS_ADMIN — read the layer's trusted.* xattrs: overlayfs's opaque-directory markers live there, and
/// without them mkfs.erofs leaves the marker out without an error (measured 2026-12-05 with erofs-utils 1.5: a
/// directory marked trusted.overlay.opaque=y lost the marker in the image when the bounding set lacked it), so a
/// deleted directory's old content would show through in the container.</item>
/// </list>
/// It keeps uid 0 for the same reason (trusted.* is root's namespace). What it does not have yet: a mount namespace
/// with a read-only view of the snapshot (CAP_SYS_ADMIN could undo one) and rlimits. The tools are util-linux's
/// <c>unshare</c> (new network, IPC and UTS namespaces) and <c>setpriv</c> (bounding set, no_new_privs), which
/// exec mkfs.erofs in place: the process the shim starts and kills on timeout is mkfs.erofs itself.
/// </summary>
public static class LayerConversionConfinement
{
    /// <summary>The capabilities mkfs.erofs keeps, for setpriv's --bounding-set (see the class comment for why each).</summary>
    public const string KeptCapabilities = "-all,+dac_read_search,+sys_admin";

    /// <summary>The program to start and its arguments: <paramref name="program"/> under the confinement, or as it is.</summary>
    public static (string Program, IReadOnlyList<string> Arguments) Wrap(string program, IReadOnlyList<string> arguments, bool confined)
    {
        if (!confined)
        {
            return (program, arguments);
        }
        var wrapped = new List<string>
        {
            "--net", "--ipc", "--uts", "--",
            "setpriv", "--no-new-privs", $"--bounding-set={KeptCapabilities}", "--inh-caps=-all", "--",
            program,
        };
        wrapped.AddRange(arguments);
        return ("unshare", wrapped);
    }
}
