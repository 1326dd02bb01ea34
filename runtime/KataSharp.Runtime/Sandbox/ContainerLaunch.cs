using KataSharp.Runtime.Model;
using KataSharp.Runtime.Volumes;

namespace KataSharp.Runtime.Sandbox;

/// <summary>A container to create in the guest.</summary>
/// <param name="SpecJson">The bundle's OCI config.json as the guest should see it (<see cref="Oci.VmSpecAdapter"/>).</param>
/// <param name="Layers">Read-only layers, topmost first (overlayfs lowerdir order).</param>
/// <param name="Files">Small host files bind-mounted by the spec (hosts, resolv.conf, hostname), copied in.</param>
/// <param name="Stdio">The init's stdio: the guest wires only the streams that will be attached (the rest is /dev/null).</param>
/// <param name="Volumes">Binds of host directories the guest provides: copied kubelet volumes, emptyDirs, the pod's /dev/shm.</param>
/// <param name="JoinNamespaces">The pod sandbox container's namespaces this container shares (<see cref="Oci.PodNamespaces"/>), or null.</param>
/// <param name="BlockDevices">Binds of host block devices: each goes into a spare block slot for the life of the container.</param>
public sealed record ContainerLaunch(string ContainerId, string SpecJson, IReadOnlyList<AttachedLayer> Layers, IReadOnlyList<ContainerFile> Files, ProcessStdio Stdio,
    IReadOnlyList<HostDirectoryMount>? Volumes = null, NamespaceJoin? JoinNamespaces = null, IReadOnlyList<HostBlockDevice>? BlockDevices = null)
{
    public IReadOnlyList<HostDirectoryMount> HostDirectories => Volumes ?? [];

    public IReadOnlyList<HostBlockDevice> HostBlockDevices => BlockDevices ?? [];
}
