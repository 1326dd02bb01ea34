using KataSharp.AgentCtl.Scenarios;

namespace KataSharp.Agent.Tests.Support;

/// <summary>
/// The busybox root filesystem of the host-side tests (BusyboxTree in a temporary directory), built
/// once per test run and removed when the test process ends. It is every container's read-only lower layer.
/// </summary>
public static class BusyboxRootfs
{
    private static readonly Lazy<string> Built = new(Build);

    public static string Path => Built.Value;

    public const uint TestUid = BusyboxTree.TestUid;
    public const uint TestGid = BusyboxTree.TestGid;

    private static string Build()
    {
        string root = System.IO.Path.Combine(System.IO.Path.GetTempPath(), $"ks-busybox-{Environment.ProcessId}");
        if (Directory.Exists(root))
        {
            Directory.Delete(root, true);
        }
        BusyboxTree.Make(root);
        AppDomain.CurrentDomain.ProcessExit += (_, _) =>
        {
            try
            {
                Directory.Delete(root, true);
            }
            catch (IOException)
            {
            }
        };
        return root;
    }
}
