namespace KataSharp.Vmm.Tests.Support;

/// <summary>A directory under /tmp removed (with its files) on dispose.</summary>
public sealed class TempDirectory : IDisposable
{
    public TempDirectory()
    {
        Path = Directory.CreateTempSubdirectory("katasharp-vmm-test-").FullName;
    }

    public string Path { get; }

    /// <summary>Writes <paramref name="content"/> to a file in the directory and returns its path.</summary>
    public string File(string name, byte[] content)
    {
        string path = System.IO.Path.Combine(Path, name);
        System.IO.File.WriteAllBytes(path, content);
        return path;
    }

    public void Dispose() => Directory.Delete(Path, recursive: true);
}
