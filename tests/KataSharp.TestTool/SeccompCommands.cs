using KataSharp.Linux;
using KataSharp.Linux.Seccomp;

namespace KataSharp.TestTool;

/// <summary>
/// SeccompFilter.Load in a NativeAOT process, the way the VMM confines itself (libseccomp.so.2 loaded at run time,
/// TSYNC so every thread is covered):
///   seccomp-load DIR   loads a filter that fails mkdir/mkdirat with EACCES, then creates DIR/main on this thread and
///                      DIR/other on a thread started before the load; prints main=ok|EACCES other=ok|EACCES
/// The process stays confined until it exits: a test runs it as a child.
/// </summary>
internal static class SeccompCommands
{
    public const string Usage = """
          katasharp-testtool seccomp-load DIR
        """;

    private const uint EACCES = 13;

    public static int? TryRun(string[] args) => args switch
    {
        ["seccomp-load", var dir] => Load(dir),
        _ => null,
    };

    private static int Load(string dir)
    {
        using var loaded = new ManualResetEventSlim();
        string other = "";
        // Started, and parked, before the filter exists: only TSYNC puts the filter on it.
        var thread = new Thread(() =>
        {
            loaded.Wait();
            other = TryMkdir(Path.Combine(dir, "other"));
        });
        thread.Start();
        using (var filter = new SeccompFilter(SeccompAction.Allow))
        {
            filter.Add(SeccompAction.Errno(EACCES), "mkdir");
            filter.Add(SeccompAction.Errno(EACCES), "mkdirat");
            filter.SetThreadSync(true);
            filter.Load();
        }
        loaded.Set();
        thread.Join();
        Console.WriteLine($"main={TryMkdir(Path.Combine(dir, "main"))} other={other}");
        return 0;
    }

    private static string TryMkdir(string path)
    {
        try
        {
            Directory.CreateDirectory(path);
            return "ok";
        }
        catch (UnauthorizedAccessException)
        {
            return "EACCES";
        }
    }
}
