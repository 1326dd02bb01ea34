using System.Buffers.Binary;
using KataSharp.Agent.Engine.Plans;
using static KataSharp.Agent.Engine.Spawning.SpawnProtocol;

namespace KataSharp.Agent.Engine.Spawning;

/// <summary>Turns plans into ks-spawn records: one method per mode.</summary>
public static class PlanEncoder
{
    /// <summary>A new container: namespaces (its own, and <paramref name="joins"/>: nstype, /proc/pid/ns path of another
    /// container's), root filesystem at <paramref name="rootfs"/>, init process.</summary>
    public static byte[] ForCreate(ContainerPlan plan, string rootfs, string? cgroupProcs, IReadOnlyList<(NamespaceSet Type, string Path)> joins)
    {
        var w = new PlanWriter();
        w.U32(Tag.Mode, Mode.Create);
        w.U64(Tag.CloneFlags, (ulong)plan.Owned);
        if (cgroupProcs is not null)
        {
            w.Text(Tag.CgroupProcs, cgroupProcs);
        }
        WriteJoins(w, joins);
        w.Text(Tag.Rootfs, rootfs);
        w.U32(Tag.RootReadonly, plan.RootReadonly ? 1u : 0u);
        w.U64(Tag.RootPropagation, (ulong)plan.RootPropagation);
        foreach (MountPlan m in plan.Mounts)
        {
            Span<byte> numbers = new byte[20];
            BinaryPrimitives.WriteUInt64LittleEndian(numbers, (ulong)m.Flags);
            BinaryPrimitives.WriteUInt64LittleEndian(numbers[8..], (ulong)m.Propagation);
            BinaryPrimitives.WriteUInt32LittleEndian(numbers[16..], m.IsFile ? 1u : 0u);
            w.Composite(Tag.Mount, numbers, m.Source, m.Destination, m.Type, m.Data);
        }
        foreach (DevicePlan d in plan.Devices)
        {
            Span<byte> numbers = new byte[20];
            BinaryPrimitives.WriteUInt32LittleEndian(numbers, d.Mode);
            BinaryPrimitives.WriteUInt32LittleEndian(numbers[4..], d.Major);
            BinaryPrimitives.WriteUInt32LittleEndian(numbers[8..], d.Minor);
            BinaryPrimitives.WriteUInt32LittleEndian(numbers[12..], d.Uid);
            BinaryPrimitives.WriteUInt32LittleEndian(numbers[16..], d.Gid);
            w.Composite(Tag.Device, numbers, d.Path);
        }
        foreach ((string target, string link) in plan.Symlinks)
        {
            w.Composite(Tag.Symlink, [], target, link);
        }
        foreach (string path in plan.MaskedPaths)
        {
            w.Text(Tag.Masked, path);
        }
        foreach (string path in plan.ReadonlyPaths)
        {
            w.Text(Tag.ReadonlyPath, path);
        }
        foreach ((string key, string value) in plan.Sysctls)
        {
            w.Composite(Tag.Sysctl, [], key.Replace('.', '/'), value);
        }
        if (plan.Hostname is not null)
        {
            w.Text(Tag.Hostname, plan.Hostname);
        }
        WriteProcess(w, plan.Process, plan.Seccomp);
        return w.ToArray();
    }

    /// <summary>An extra process in a running container: join its namespaces (nstype, /proc/pid/ns path) and cgroup.</summary>
    public static byte[] ForExec(ProcessPlan process, IReadOnlyList<(NamespaceSet Type, string Path)> joins, string? cgroupProcs, byte[]? seccomp)
    {
        var w = new PlanWriter();
        w.U32(Tag.Mode, Mode.Exec);
        if (cgroupProcs is not null)
        {
            w.Text(Tag.CgroupProcs, cgroupProcs);
        }
        WriteJoins(w, joins);
        WriteProcess(w, process, seccomp);
        return w.ToArray();
    }

    /// <summary>A process without isolation (the debug console's shell).</summary>
    public static byte[] ForHost(ProcessPlan process)
    {
        var w = new PlanWriter();
        w.U32(Tag.Mode, Mode.Host);
        WriteProcess(w, process, null);
        return w.ToArray();
    }

    /// <summary>ks-spawn opens every path first, then setns()s in this order, before it clones.</summary>
    private static void WriteJoins(PlanWriter w, IReadOnlyList<(NamespaceSet Type, string Path)> joins)
    {
        foreach ((NamespaceSet type, string path) in joins)
        {
            Span<byte> numbers = new byte[4];
            BinaryPrimitives.WriteUInt32LittleEndian(numbers, (uint)type);
            w.Composite(Tag.JoinNamespace, numbers, path);
        }
    }

    private static void WriteProcess(PlanWriter w, ProcessPlan p, byte[]? seccomp)
    {
        foreach (RlimitPlan r in p.Rlimits)
        {
            Span<byte> numbers = new byte[24];
            BinaryPrimitives.WriteUInt32LittleEndian(numbers, (uint)r.Resource);
            BinaryPrimitives.WriteUInt64LittleEndian(numbers[8..], r.Soft);
            BinaryPrimitives.WriteUInt64LittleEndian(numbers[16..], r.Hard);
            w.Record(Tag.Rlimit, numbers);
        }
        Span<byte> user = stackalloc byte[8];
        BinaryPrimitives.WriteUInt32LittleEndian(user, p.Uid);
        BinaryPrimitives.WriteUInt32LittleEndian(user[4..], p.Gid);
        w.Record(Tag.User, user);
        byte[] groups = new byte[p.AdditionalGids.Count * 4];
        for (int i = 0; i < p.AdditionalGids.Count; i++)
        {
            BinaryPrimitives.WriteUInt32LittleEndian(groups.AsSpan(i * 4), p.AdditionalGids[i]);
        }
        w.Record(Tag.Groups, groups);
        if (p.Umask is uint umask)
        {
            w.U32(Tag.Umask, umask);
        }
        if (p.Capabilities is CapabilitySets caps)
        {
            Span<byte> sets = stackalloc byte[40];
            BinaryPrimitives.WriteUInt64LittleEndian(sets, caps.Bounding);
            BinaryPrimitives.WriteUInt64LittleEndian(sets[8..], caps.Effective);
            BinaryPrimitives.WriteUInt64LittleEndian(sets[16..], caps.Inheritable);
            BinaryPrimitives.WriteUInt64LittleEndian(sets[24..], caps.Permitted);
            BinaryPrimitives.WriteUInt64LittleEndian(sets[32..], caps.Ambient);
            w.Record(Tag.Caps, sets);
        }
        w.U32(Tag.NoNewPrivs, p.NoNewPrivileges ? 1u : 0u);
        if (seccomp is { Length: > 0 })
        {
            w.Record(Tag.Seccomp, seccomp);
        }
        w.Text(Tag.Cwd, p.Cwd);
        foreach (string arg in p.Args)
        {
            w.Text(Tag.Arg, arg);
        }
        foreach (string env in p.Env)
        {
            w.Text(Tag.Env, env);
        }
        w.U32(Tag.Terminal, p.Terminal ? 1u : 0u);
        if (p.OomScoreAdj is int oom)
        {
            w.U32(Tag.OomScoreAdj, unchecked((uint)oom));
        }
    }
}
