using KataSharp.Runtime.Tests.Configuration;

namespace KataSharp.Runtime.Tests.Shim;

/// <summary>A NativeAOT binary scripts/publish.sh put into out/bin (or $KATASHARP_OUT/bin).</summary>
public static class PublishedBinary
{
    public static string Path(string name)
    {
        string output = Environment.GetEnvironmentVariable("KATASHARP_OUT") is { Length: > 0 } o ? o : System.IO.Path.Combine(ConfigurationTests.RepositoryRoot(), "out");
        string path = System.IO.Path.Combine(output, "bin", name);
        return File.Exists(path)
            ? path
            : throw new FileNotFoundException($"{path} is not built: run scripts/publish.sh {name} (scripts/test.sh does it first)");
    }
}
