namespace KataSharp.Agent.Sandbox;

/// <summary>What backs a pod volume in the guest (<see cref="PodVolumes"/>).</summary>
public enum PodVolumeMedium
{
    /// <summary>A directory on the agent's /run tmpfs (emptyDir).</summary>
    Directory,
    /// <summary>A tmpfs of its own with a size (the pod's /dev/shm).</summary>
    Tmpfs,
}
