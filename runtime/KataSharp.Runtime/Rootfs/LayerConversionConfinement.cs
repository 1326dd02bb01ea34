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
/// It keeps uid 0 for the same reason (trusted.* is root's namespace), so instead of another uid it gets a view of the
/// snapshot that cannot be written: its own mount namespace (private propagation, so nothing reaches the host's)
/// where the layer directory is bound read-only onto itself. A converter that misreads a hostile layer cannot then
/// change the snapshot containerd shares with other containers of the image; only the image file is writable. It is
/// a barrier against a confused converter, not against one running an attacker's code: CAP_SYS_ADMIN could remount.
/// The tools are util-linux's <c>unshare</c> (new mount, network, IPC and UTS namespaces), <c>mount</c> (through
/// <c>sh</c>, given the path as an argument, never inside the script) and <c>setpriv</c> (bounding set,
/// no_new_privs), each exec'ing the next in place: the process the shim starts and kills on timeout is mkfs.erofs.
/// No rlimits: mkfs.erofs is one process, its time is bounded by the timeout and its memory by the pod's cgroup.
/// </summary>
public static class LayerConversionConfinement
{
    /// <summary>The capabilities mkfs.erofs keeps, for setpriv's --bounding-set (see the class comment for why each).</summary>
    public const string KeptCapabilities = "-all,+dac_read_search,+sys_admin";

    /// <summary>Binds $1 read-only onto itself, then execs the rest of the arguments.</summary>
    private const string ReadOnlyViewScript = "mount --bind -o ro -- \"$1\" \"$1\" && shift && exec \"$@\"";

    /// <summary>The host programs the confinement runs, with their Debian packages.</summary>
    public static IReadOnlyList<(string Program, string Package)> Tools { get; } =
        [("unshare", "util-linux"), ("sh", "dash"), ("mount", "mount"), ("setpriv", "util-linux")];

    /// <summary>The program to start and its arguments: <paramref name="program"/> under the confinement, or as it is.</summary>
    /// <param name="readOnlyDirectory">The layer directory the converter reads: read-only in its view.</param>
    public static (string Program, IReadOnlyList<string> Arguments) Wrap(string program, IReadOnlyList<string> arguments, string readOnlyDirectory, bool confined)
    {
        if (!confined)
        {
            return (program, arguments);
        }
        var wrapped = new List<string>
        {
            "--mount", "--propagation", "private", "--net", "--ipc", "--uts", "--",
            "sh", "-c", ReadOnlyViewScript, "ks-layer-view", readOnlyDirectory,
            "setpriv", "--no-new-privs", $"--bounding-set={KeptCapabilities}", "--inh-caps=-all", "--",
            program,
        };
        wrapped.AddRange(arguments);
        return ("unshare", wrapped);
    }
}
