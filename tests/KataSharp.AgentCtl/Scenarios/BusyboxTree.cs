using System.Diagnostics;

namespace KataSharp.AgentCtl.Scenarios;

/// <summary>Makes a busybox root filesystem directory from Debian's busybox-static (/bin/busybox).</summary>
public static class BusyboxTree
{
    public const uint TestUid = 1234, TestGid = 2345;

    public static void Make(string root)
    {
        const string busybox = "/bin/busybox";
        if (!File.Exists(busybox))
        {
            throw new FileNotFoundException("busybox-static is not installed (/bin/busybox); run scripts/install-deps.sh", busybox);
        }
        foreach (string dir in new[] { "bin", "etc", "proc", "sys", "dev", "tmp", "root", "home/tester" })
        {
            System.IO.Directory.CreateDirectory(Path.Combine(root, dir));
        }
        File.Copy(busybox, Path.Combine(root, "bin", "busybox"), overwrite: true);
        var info = new ProcessStartInfo(busybox, "--list") { RedirectStandardOutput = true };
        using Process list = Process.Start(info)!;
        string applets = list.StandardOutput.ReadToEnd();
        list.WaitForExit();
        foreach (string applet in applets.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            string link = Path.Combine(root, "bin", applet);
            if (applet != "busybox" && !File.Exists(link))
            {
                File.CreateSymbolicLink(link, "busybox");
            }
        }
        File.WriteAllText(Path.Combine(root, "etc", "passwd"), $"root:x:0:0:root:/root:/bin/sh\ntester:x:{TestUid}:{TestGid}:tester:/home/tester:/bin/sh\n");
        File.WriteAllText(Path.Combine(root, "etc", "group"), $"root:x:0:\ntesters:x:{TestGid}:\n");
    }
}
