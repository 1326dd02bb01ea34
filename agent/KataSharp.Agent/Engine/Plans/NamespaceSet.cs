namespace KataSharp.Agent.Engine.Plans;

/// <summary>The namespaces a container creates, as clone(2) flags, and the /proc/pid/ns names to join them by.</summary>
[Flags]
public enum NamespaceSet : ulong
{
    None = 0,
    Mount = 0x00020000,  // CLONE_NEWNS
    Cgroup = 0x02000000, // CLONE_NEWCGROUP
    Uts = 0x04000000,    // CLONE_NEWUTS
    Ipc = 0x08000000,    // CLONE_NEWIPC
    Pid = 0x20000000,    // CLONE_NEWPID
    Network = 0x40000000, // CLONE_NEWNET
}
