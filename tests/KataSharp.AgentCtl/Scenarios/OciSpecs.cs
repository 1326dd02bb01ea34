using System.Text;
using System.Text.Json.Nodes;

namespace KataSharp.AgentCtl.Scenarios;

/// <summary>OCI specs for tests and benchmarks, shaped like `runc spec` (namespaces, the usual mounts, masked/read-only paths, default caps).</summary>
public static class OciSpecs
{
    public static readonly string[] DefaultCaps = ["CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FSETID", "CAP_FOWNER", "CAP_MKNOD", "CAP_NET_RAW",
        "CAP_SETGID", "CAP_SETUID", "CAP_SETFCAP", "CAP_SETPCAP", "CAP_NET_BIND_SERVICE", "CAP_SYS_CHROOT", "CAP_KILL", "CAP_AUDIT_WRITE"];

    public static JsonObject Create(params string[] args) => new()
    {
        ["ociVersion"] = "1.1.0",
        ["process"] = Process(args),
        ["root"] = new JsonObject { ["path"] = "rootfs", ["readonly"] = false },
        ["hostname"] = "testbox",
        ["mounts"] = new JsonArray(
            Mount("/proc", "proc", "proc", []),
            Mount("/dev", "tmpfs", "tmpfs", ["nosuid", "strictatime", "mode=755", "size=65536k"]),
            Mount("/dev/pts", "devpts", "devpts", ["nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5"]),
            Mount("/dev/shm", "tmpfs", "shm", ["nosuid", "noexec", "nodev", "mode=1777", "size=65536k"]),
            Mount("/dev/mqueue", "mqueue", "mqueue", ["nosuid", "noexec", "nodev"]),
            Mount("/sys", "sysfs", "sysfs", ["nosuid", "noexec", "nodev", "ro"])),
        ["linux"] = new JsonObject
        {
            ["namespaces"] = new JsonArray(Ns("pid"), Ns("network"), Ns("ipc"), Ns("uts"), Ns("mount")),
            ["maskedPaths"] = new JsonArray("/proc/acpi", "/proc/kcore", "/proc/keys", "/proc/timer_list", "/sys/firmware", "/proc/scsi"),
            ["readonlyPaths"] = new JsonArray("/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"),
        },
    };

    public static JsonObject Process(params string[] args) => new()
    {
        ["terminal"] = false,
        ["user"] = new JsonObject { ["uid"] = 0, ["gid"] = 0 },
        ["args"] = new JsonArray(args.Select(a => (JsonNode)a).ToArray()),
        ["env"] = new JsonArray("PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "TERM=xterm"),
        ["cwd"] = "/",
        ["capabilities"] = new JsonObject
        {
            ["bounding"] = Caps(), ["effective"] = Caps(), ["permitted"] = Caps(),
        },
        ["rlimits"] = new JsonArray(new JsonObject { ["type"] = "RLIMIT_NOFILE", ["hard"] = 1024, ["soft"] = 1024 }),
        ["noNewPrivileges"] = true,
    };

    public static byte[] Bytes(JsonNode node) => Encoding.UTF8.GetBytes(node.ToJsonString());

    private static JsonArray Caps() => new(DefaultCaps.Select(c => (JsonNode)c).ToArray());

    private static JsonObject Mount(string destination, string type, string source, string[] options) => new()
    {
        ["destination"] = destination, ["type"] = type, ["source"] = source, ["options"] = new JsonArray(options.Select(o => (JsonNode)o).ToArray()),
    };

    private static JsonObject Ns(string type) => new() { ["type"] = type };
}
