namespace KataSharp.Runtime.Tests.Shim;

/// <summary>
/// A busybox OCI image made locally (there is no registry): umoci layout, busybox-static with a
/// few applet links, cmd /bin/sh, tarred for `ctr image import`.
/// </summary>
public static class BusyboxImage
{
    private static readonly string[] Applets = ["sh", "uname", "cat", "echo", "true", "false", "ls", "sleep", "id", "ps"];

    public static async Task<string> BuildAsync(string directory)
    {
        Directory.CreateDirectory(directory);
        string layout = Path.Combine(directory, "layout"), bundle = Path.Combine(directory, "bundle");
        await Run("umoci", "init", "--layout", layout);
        await Run("umoci", "new", "--image", layout + ":latest");
        await Run("umoci", "unpack", "--rootless", "--image", layout + ":latest", bundle);
        string bin = Path.Combine(bundle, "rootfs", "bin");
        Directory.CreateDirectory(bin);
        File.Copy("/bin/busybox", Path.Combine(bin, "busybox"));
        foreach (string applet in Applets)
        {
            File.CreateSymbolicLink(Path.Combine(bin, applet), "busybox");
        }
        await Run("umoci", "repack", "--image", layout + ":latest", bundle);
        await Run("umoci", "config", "--image", layout + ":latest", "--config.cmd", "/bin/sh");
        string tar = Path.Combine(directory, "busybox.tar");
        await Run("tar", "-C", layout, "-cf", tar, ".");
        return tar;
    }

    private static async Task Run(string program, params string[] args)
    {
        var (code, stdout, stderr) = await CommandRunner.RunAsync(program, args);
        if (code != 0)
        {
            throw new InvalidOperationException($"{program} {string.Join(' ', args)} failed ({code}): {stdout}{stderr}");
        }
    }
}
