using System.Text.Json;

namespace KataSharp.Agent.Engine.Oci;

// The subset of the OCI runtime spec (config.json) the engine reads, bound by the
// source-generated OciJsonContext. Field names follow the spec; anything not listed is ignored.
// Numbers that must be range-checked (uid, gid, umask) are read as long so a negative or
// oversized value becomes a clear InvalidArgument instead of a JSON type error.

public sealed class OciSpec
{
    public string? OciVersion { get; set; }
    public OciProcess? Process { get; set; }
    public OciRoot? Root { get; set; }
    public string? Hostname { get; set; }
    public List<OciMount>? Mounts { get; set; }
    public JsonElement? Hooks { get; set; }
    public Dictionary<string, string>? Annotations { get; set; }
    public OciLinux? Linux { get; set; }
}

public sealed class OciProcess
{
    public bool Terminal { get; set; }
    public OciBox? ConsoleSize { get; set; }
    public OciUser? User { get; set; }
    public List<string>? Args { get; set; }
    public string? CommandLine { get; set; }
    public List<string>? Env { get; set; }
    public string? Cwd { get; set; }
    public OciCapabilities? Capabilities { get; set; }
    public List<OciRlimit>? Rlimits { get; set; }
    public bool NoNewPrivileges { get; set; }
    public string? ApparmorProfile { get; set; }
    public int? OomScoreAdj { get; set; }
    public string? SelinuxLabel { get; set; }
}

public sealed class OciBox
{
    public uint Height { get; set; }
    public uint Width { get; set; }
}

public sealed class OciUser
{
    public long? Uid { get; set; }
    public long? Gid { get; set; }
    public long? Umask { get; set; }
    public List<long>? AdditionalGids { get; set; }
    /// <summary>Not in the Linux spec (Kata's StringUser): resolved against the container's /etc/passwd.</summary>
    public string? Username { get; set; }
}

public sealed class OciCapabilities
{
    public List<string>? Bounding { get; set; }
    public List<string>? Effective { get; set; }
    public List<string>? Inheritable { get; set; }
    public List<string>? Permitted { get; set; }
    public List<string>? Ambient { get; set; }
}

public sealed class OciRlimit
{
    public string? Type { get; set; }
    public ulong Hard { get; set; }
    public ulong Soft { get; set; }
}

public sealed class OciRoot
{
    public string? Path { get; set; }
    public bool Readonly { get; set; }
}

public sealed class OciMount
{
    public string? Destination { get; set; }
    public string? Type { get; set; }
    public string? Source { get; set; }
    public List<string>? Options { get; set; }
}

public sealed class OciLinux
{
    public List<OciNamespace>? Namespaces { get; set; }
    public List<JsonElement>? UidMappings { get; set; }
    public List<JsonElement>? GidMappings { get; set; }
    public List<OciDevice>? Devices { get; set; }
    public OciResources? Resources { get; set; }
    public string? CgroupsPath { get; set; }
    public Dictionary<string, string>? Sysctl { get; set; }
    public OciSeccomp? Seccomp { get; set; }
    public string? RootfsPropagation { get; set; }
    public List<string>? MaskedPaths { get; set; }
    public List<string>? ReadonlyPaths { get; set; }
}

public sealed class OciNamespace
{
    public string? Type { get; set; }
    public string? Path { get; set; }
}

public sealed class OciDevice
{
    public string? Type { get; set; }
    public string? Path { get; set; }
    public long? Major { get; set; }
    public long? Minor { get; set; }
    public uint? FileMode { get; set; }
    public uint? Uid { get; set; }
    public uint? Gid { get; set; }
}

public sealed class OciResources
{
    /// <summary>The devices cgroup rules. The guest enforces none (the VM is the boundary); they only tell a privileged
    /// spec (every device allowed) from others.</summary>
    public List<OciDeviceRule>? Devices { get; set; }
    public OciMemory? Memory { get; set; }
    public OciCpu? Cpu { get; set; }
    public OciPids? Pids { get; set; }
    public Dictionary<string, string>? Unified { get; set; }
}

public sealed class OciDeviceRule
{
    public bool Allow { get; set; }
    public string? Type { get; set; }
    public long? Major { get; set; }
    public long? Minor { get; set; }
    public string? Access { get; set; }
}

public sealed class OciMemory
{
    public long? Limit { get; set; }
    public long? Reservation { get; set; }
    public long? Swap { get; set; }
}

public sealed class OciCpu
{
    public ulong? Shares { get; set; }
    public long? Quota { get; set; }
    public ulong? Period { get; set; }
    public string? Cpus { get; set; }
    public string? Mems { get; set; }
}

public sealed class OciPids
{
    public long Limit { get; set; }
}

public sealed class OciSeccomp
{
    public string? DefaultAction { get; set; }
    public uint? DefaultErrnoRet { get; set; }
    public List<string>? Architectures { get; set; }
    public List<string>? Flags { get; set; }
    public List<OciSyscall>? Syscalls { get; set; }
}

public sealed class OciSyscall
{
    public List<string>? Names { get; set; }
    public string? Action { get; set; }
    public uint? ErrnoRet { get; set; }
    public List<OciSeccompArg>? Args { get; set; }
}

public sealed class OciSeccompArg
{
    public uint Index { get; set; }
    public ulong Value { get; set; }
    public ulong ValueTwo { get; set; }
    public string? Op { get; set; }
}
