namespace KataSharp.Runtime.Tests.Volumes;

/// <summary>A host directory laid out as kubelet's atomic writer does (configmap, secret, projected volumes):
/// <c>..&lt;timestamp&gt;/</c> holds the data, <c>..data</c> links to it, and each key links through <c>..data</c>.</summary>
public sealed class KubeletVolumeDir : IDisposable
{
    private int _generation;

    public KubeletVolumeDir(string kind = "configmap", string name = "cfg")
    {
        Base = Directory.CreateTempSubdirectory("ks-kubelet-").FullName;
        Path = System.IO.Path.Combine(Base, "pods/uid-1/volumes", $"kubernetes.io~{kind}", name);
        Directory.CreateDirectory(Path);
    }

    public string Base { get; }

    public string Path { get; }

    public string CurrentData => $"..gen_{_generation}";

    /// <summary>kubelet's update: a new timestamped directory, ..data swapped by rename, key links added, the old directory removed.</summary>
    public void Publish(IReadOnlyDictionary<string, string> data)
    {
        string old = CurrentData;
        _generation++;
        string fresh = System.IO.Path.Combine(Path, CurrentData);
        Directory.CreateDirectory(fresh);
        foreach ((string key, string value) in data)
        {
            File.WriteAllText(System.IO.Path.Combine(fresh, key), value);
        }
        string tmp = System.IO.Path.Combine(Path, "..data_tmp");
        File.CreateSymbolicLink(tmp, CurrentData);
        // rename(2), as kubelet does: .NET's File.Move refuses a link to a directory, Directory.Move an existing destination.
        if (rename(tmp, System.IO.Path.Combine(Path, "..data")) != 0)
        {
            throw new IOException($"rename {tmp}: errno {System.Runtime.InteropServices.Marshal.GetLastPInvokeError()}");
        }
        foreach (string key in data.Keys)
        {
            string link = System.IO.Path.Combine(Path, key);
            if (!System.IO.Path.Exists(link) && new FileInfo(link).LinkTarget is null)
            {
                File.CreateSymbolicLink(link, $"..data/{key}");
            }
        }
        if (Directory.Exists(System.IO.Path.Combine(Path, old)))
        {
            Directory.Delete(System.IO.Path.Combine(Path, old), recursive: true);
        }
    }

    public void Dispose() => Directory.Delete(Base, recursive: true);

    [System.Runtime.InteropServices.DllImport("libc", SetLastError = true)]
    private static extern int rename(string oldPath, string newPath);
}
