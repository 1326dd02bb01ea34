using KataSharp.Runtime.Model;
using KataSharp.Runtime.Volumes;
using Xunit;

namespace KataSharp.Runtime.Tests.Volumes;

/// <summary>Which host-directory binds the guest can honour, by kubelet's path layout and CRI's /dev/shm.</summary>
public class HostDirectoryClassifierTests
{
    [Theory]
    [InlineData("/var/lib/kubelet/pods/u1/volumes/kubernetes.io~configmap/cfg", HostDirectoryUse.CopiedVolume, "configmap", "cfg")]
    [InlineData("/var/lib/kubelet/pods/u1/volumes/kubernetes.io~secret/token", HostDirectoryUse.CopiedVolume, "secret", "token")]
    [InlineData("/var/lib/kubelet/pods/u1/volumes/kubernetes.io~projected/kube-api-access-x1", HostDirectoryUse.CopiedVolume, "projected", "kube-api-access-x1")]
    [InlineData("/var/lib/kubelet/pods/u1/volumes/kubernetes.io~downward-api/podinfo/", HostDirectoryUse.CopiedVolume, "downward-api", "podinfo")]
    [InlineData("/srv/kubelet/pods/u1/volumes/kubernetes.io~configmap/cfg/nested", HostDirectoryUse.CopiedVolume, "configmap", "cfg")]
    [InlineData("/data/k8s/pods/u1/volumes/kubernetes.io~empty-dir/cache", HostDirectoryUse.EmptyDir, "empty-dir", "cache")]
    public void KubeletVolumes_AreMatchedByTheirPluginSegment_WhateverKubeletsRoot(string source, HostDirectoryUse use, string kind, string name)
    {
        HostDirectoryMount m = HostDirectoryClassifier.Classify(3, source, "/mnt", readOnly: true);
        Assert.Equal((use, kind, name, true), (m.Use, m.Kind, m.VolumeName, m.ReadOnly));
    }

    [Fact]
    public void ShmBinds_ArePerPod_ExceptTheHostsOwn()
    {
        Assert.Equal(HostDirectoryUse.PodShm,
            HostDirectoryClassifier.Classify(0, "/run/containerd/io.containerd.grpc.v1.cri/sandboxes/s1/shm", "/dev/shm", false).Use);
        Assert.Equal(HostDirectoryUse.HostShm, HostDirectoryClassifier.Classify(0, "/dev/shm", "/dev/shm/", false).Use);
        // A memory emptyDir mounted at /dev/shm (a common Kubernetes pattern) is the pod's emptyDir.
        Assert.Equal(HostDirectoryUse.EmptyDir,
            HostDirectoryClassifier.Classify(0, "/var/lib/kubelet/pods/u/volumes/kubernetes.io~empty-dir/dshm", "/dev/shm", false).Use);
    }

    [Theory]
    [InlineData("/srv/data", "shares no host directory")]
    [InlineData("/var/lib/kubelet/pods/u1/volumes/kubernetes.io~csi/pv-1/mount", "kubelet 'csi' volume 'pv-1'")]
    [InlineData("/var/lib/kubelet/pods/u1/volumes/kubernetes.io~empty-dir/cache/sub", "subdirectory of the emptyDir volume 'cache'")]
    [InlineData("/var/lib/kubelet/pods/u1/volume-subpaths/cfg/app/0", "subPath directory")]
    [InlineData("/var/lib/kubelet/pods/u1/volumes/kubernetes.io~configmap", "shares no host directory")]
    public void OtherDirectories_FailNotImplemented_NamingTheMountAndWhy(string source, string why)
    {
        var e = Assert.Throws<RuntimeException>(() => HostDirectoryClassifier.Classify(4, source, "/data", false));
        Assert.Equal(RuntimeError.NotImplemented, e.Error);
        Assert.StartsWith($"mounts[4]: bind mount of the host directory {source} → /data: ", e.Message);
        Assert.Contains(why, e.Message);
    }
}
