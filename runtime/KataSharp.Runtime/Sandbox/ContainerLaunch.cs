using KataSharp.Runtime.Model;
using KataSharp.Runtime.Oci.Spec;
using KataSharp.Runtime.Volumes;

namespace KataSharp.Runtime.Sandbox;

/// <summary>
/// A container to create in the guest. It hands over <see cref="Spec"/>: the runtime does not touch the document once it
/// has passed the launch to <see cref="ISandboxBackend.CreateContainerAsync"/>, and the backend, its only owner from then
/// on, finishes it for the agent (guest bind sources) and serializes it, once. A launch is created for one call.
/// </summary>
/// <param name="Spec">The bundle's parsed config.json, translated for the VM (<see cref="Oci.PodNamespaces"/>, <see cref="Oci.VmSpecAdapter"/>).</param>
/// <param name="Layers">Read-only layers, topmost first (overlayfs lowerdir order).</param>
/// <param name="Files">Small host files bind-mounted by the spec (hosts, resolv.conf, hostname), copied in.</param>
/// <param name="Stdio">The init's stdio: the guest wires only the streams that will be attached (the rest is /dev/null).</param>
/// <param name="Volumes">Binds of host directories the guest provides: copied kubelet volumes, emptyDirs, the pod's /dev/shm.</param>
/// <param name="JoinNamespaces">The pod sandbox container's namespaces this container shares (<see cref="Oci.PodNamespaces"/>), or null.</param>
/// <param name="BlockDevices">Binds of host block devices: each goes into a spare block slot for the life of the container.</param>
public sealed record ContainerLaunch(string ContainerId, OciSpec Spec, IReadOnlyList<AttachedLayer> Layers, IReadOnlyList<ContainerFile> Files, ProcessStdio Stdio,
    IReadOnlyList<HostDirectoryMount>? Volumes = null, NamespaceJoin? JoinNamespaces = null, IReadOnlyList<HostBlockDevice>? BlockDevices = null)
{
    public IReadOnlyList<HostDirectoryMount> HostDirectories => Volumes ?? [];

    public IReadOnlyList<HostBlockDevice> HostBlockDevices => BlockDevices ?? [];
}
