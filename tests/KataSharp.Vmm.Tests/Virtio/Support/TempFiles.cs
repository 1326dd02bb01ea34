namespace KataSharp.Vmm.Tests.Virtio.Support;

/// <summary>A private temporary directory, removed with everything in it on dispose.</summary>
internal sealed class TempFiles : IDisposable
{
    public TempFiles()
    {
        // Short paths: unix socket names must fit in 108 bytes.
        Directory = System.IO.Directory.CreateTempSubdirectory("ks-").FullName;
    }

    public string Directory { get; }

    public string PathOf(string name) => Path.Combine(Directory, name);

    /// <summary>A file of <paramref name="size"/> bytes where byte i is <paramref name="pattern"/>(i).</summary>
    public string CreateFile(string name, long size, Func<long, byte> pattern)
    {
        string path = PathOf(name);
        var bytes = new byte[size];
        for (long i = 0; i < size; i++)
        {
            bytes[i] = pattern(i);
        }
        File.WriteAllBytes(path, bytes);
        return path;
    }

    public void Dispose()
    {
        try
        {
            System.IO.Directory.Delete(Directory, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
