namespace KataSharp.Agent.Tests.Support;

/// <summary>
/// A minimal container root filesystem made at test time from Debian's busybox-static: /bin/busybox
/// with a link per applet, /etc/passwd and /etc/group with a test user, and empty mount points.
/// Built once per test run into a temporary directory (read-only lower layer of every container).
/// </summary>
public static class BusyboxRootfs
{
    private static readonly Lazy<string> Built = new(Build);

    public static string Path => Built.Value;

    public const uint TestUid = 1234;
    public const uint TestGid = 2345;

    private static string Build()
    {
        const string busybox = "/bin/busybox";
        if (!File.Exists(busybox))
        {
            throw new InvalidOperationException("busybox-static is not installed (/bin/busybox); run scripts/install-deps.sh");
        }
        string root = System.IO.Path.Combine(System.IO.Path.GetTempPath(), $"ks-busybox-{Environment.ProcessId}");
        if (Directory.Exists(root))
        {
            Directory.Delete(root, true);
        }
        foreach (string dir in new[] { "bin", "etc", "proc", "sys", "dev", "tmp", "root", "home/tester" })
        {
            Directory.CreateDirectory(System.IO.Path.Combine(root, dir));
        }
        File.Copy(busybox, System.IO.Path.Combine(root, "bin", "busybox"));
        CommandResult list = Commands.Run(busybox, "--list");
        foreach (string applet in list.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            string link = System.IO.Path.Combine(root, "bin", applet);
            if (applet != "busybox" && !File.Exists(link))
            {
                File.CreateSymbolicLink(link, "busybox");
            }
        }
        File.WriteAllText(System.IO.Path.Combine(root, "etc", "passwd"), $"root:x:0:0:root:/root:/bin/sh\ntester:x:{TestUid}:{TestGid}:tester:/home/tester:/bin/sh\n");
        File.WriteAllText(System.IO.Path.Combine(root, "etc", "group"), $"root:x:0:\ntesters:x:{TestGid}:\n");
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
