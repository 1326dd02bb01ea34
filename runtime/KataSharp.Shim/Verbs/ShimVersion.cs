using System.Runtime.InteropServices;
using KataSharp.Linux;

namespace KataSharp.Shim.Verbs;

/// <summary>
/// What `shim -v` prints. containerd's own shims (runtime/v2/shim/shim.go, 1.6/1.7) print the binary's
/// name, then Version, Revision and Go version, indented, and an empty line; tools and people compare
/// shims by that shape, so ours keeps it and reports the .NET runtime where Go's shims report Go.
/// </summary>
public static class ShimVersion
{
    /// <summary>The name containerd's shims print: the file name they were run as (a renamed copy shows its own).</summary>
    public static string ProgramName =>
        Path.GetFileName(Environment.ProcessPath) is { Length: > 0 } name && name != "dotnet" ? name : "containerd-shim-katasharp-v2";

    public static string Text(string program, BuildVersion build) =>
        $"{program}:\n" +
        $"  Version:  {build.Version}\n" +
        $"  Revision: {build.Commit}\n" +
        $"  .NET version: {RuntimeInformation.FrameworkDescription}\n" +
        "\n";
}
