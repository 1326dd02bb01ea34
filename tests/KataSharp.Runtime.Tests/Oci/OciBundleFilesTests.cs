using System.Diagnostics;
using KataSharp.Runtime.Model;
using KataSharp.Runtime.Oci;
using KataSharp.Runtime.Sandbox;
using Xunit;

namespace KataSharp.Runtime.Tests.Oci;

/// <summary>
/// The host files a spec bind-mounts are copied into the VM: only small regular files, and reading
/// one can neither block Create (a FIFO) nor fill the shim's memory (/dev/zero), nor follow a link.
/// </summary>
public sealed class OciBundleFilesTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("ks-bundle-files-").FullName;

    private OciBundle BundleBinding(string source)
    {
        File.WriteAllText(Path.Combine(_dir, "config.json"), $$"""
            {"ociVersion":"1.0.2","process":{"args":["/pause"]},"mounts":[
              {"destination":"/etc/hosts","type":"bind","source":"{{source}}","options":["rbind","ro"]}]}
            """);
        return OciBundle.Load(_dir);
    }

    [Fact]
    public void ARegularFile_IsCopied()
    {
        string hosts = Path.Combine(_dir, "hosts");
        File.WriteAllText(hosts, "127.0.0.1 localhost\n");
        ContainerFile file = Assert.Single(BundleBinding(hosts).ReadBindMountedFiles());
        Assert.Equal("/etc/hosts", file.Destination);
        Assert.Equal("127.0.0.1 localhost\n"u8.ToArray(), file.Content);
        Assert.True(file.ReadOnly);
    }

    [Fact]
    public async Task AFifo_IsRefusedAtOnce_InsteadOfBlockingCreate()
    {
        string fifo = Path.Combine(_dir, "fifo");
        using (Process mkfifo = Process.Start("mkfifo", [fifo])!)
        {
            mkfifo.WaitForExit();
            Assert.Equal(0, mkfifo.ExitCode);
        }
        OciBundle bundle = BundleBinding(fifo);

        // On a worker with a deadline: the old read blocked in open(2) for as long as no writer came.
        Task<RuntimeException> read = Task.Run(() => Assert.Throws<RuntimeException>(bundle.ReadBindMountedFiles));
        try
        {
            Assert.True(await Task.WhenAny(read, Task.Delay(TimeSpan.FromSeconds(30))) == read, "reading a FIFO bind source blocked");
        }
        finally
        {
            if (!read.IsCompleted)
            {
                using var writer = new FileStream(fifo, FileMode.Open, FileAccess.Write); // unblocks the reader, then EOF
            }
        }
        RuntimeException e = await read;
        Assert.Equal(RuntimeError.InvalidArgument, e.Error);
        Assert.Contains("a FIFO", e.Message);
    }

    [Fact]
    public void ADeviceThatNeverEnds_IsRefused_NotReadUntilMemoryRunsOut()
    {
        RuntimeException e = Assert.Throws<RuntimeException>(BundleBinding("/dev/zero").ReadBindMountedFiles);
        Assert.Equal(RuntimeError.InvalidArgument, e.Error);
        Assert.Contains("a character device", e.Message);
    }

    [Fact]
    public void ABlockDevice_IsNotCopied_ItGoesToABlockSlot()
    {
        string? node = Directory.EnumerateFiles("/dev").FirstOrDefault(p => KataSharp.Linux.Files.FileNode.TryOf(p)?.IsBlockDevice == true);
        if (node is null)
        {
            return; // no block device node on this host
        }
        Assert.Empty(BundleBinding(node).ReadBindMountedFiles());
    }

    [Fact]
    public void ASymlink_IsFollowedToTheRegularFile_AsRuncsBindMountDoes()
    {
        string target = Path.Combine(_dir, "resolv.conf.real");
        File.WriteAllText(target, "nameserver 10.0.0.1\n");
        string link = Path.Combine(_dir, "resolv.conf");
        File.CreateSymbolicLink(link, target);
        ContainerFile file = Assert.Single(BundleBinding(link).ReadBindMountedFiles());
        Assert.Equal("nameserver 10.0.0.1\n", System.Text.Encoding.UTF8.GetString(file.Content));
    }

    [Fact]
    public void ASymlinkToAFifo_IsRefused_WithoutBlocking()
    {
        string fifo = Path.Combine(_dir, "pipe");
        KataSharp.Linux.Files.Fifo.Create(fifo);
        string link = Path.Combine(_dir, "hosts");
        File.CreateSymbolicLink(link, fifo);
        RuntimeException e = Assert.Throws<RuntimeException>(BundleBinding(link).ReadBindMountedFiles);
        Assert.Equal(RuntimeError.InvalidArgument, e.Error);
        Assert.Contains("regular file", e.Message);
    }

    [Fact]
    public void AFileOverTheLimit_IsRefused()
    {
        string big = Path.Combine(_dir, "big");
        File.WriteAllBytes(big, new byte[OciBundle.MaxCopiedFileBytes + 1]);
        RuntimeException e = Assert.Throws<RuntimeException>(BundleBinding(big).ReadBindMountedFiles);
        Assert.Equal(RuntimeError.NotImplemented, e.Error);
    }

    public void Dispose() => Directory.Delete(_dir, recursive: true);
}
