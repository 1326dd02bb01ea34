using System.Text;
using KataSharp.Agent.Errors;
using KataSharp.Agent.Sandbox;
using Xunit;

namespace KataSharp.Agent.Tests.Sandbox;

/// <summary>CopyFile/RemoveFile's directory: hostile relative paths, and a tree a container changed, never lead a write out of it.</summary>
public sealed class SharedFilesTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("ks-shared-").FullName;
    private readonly string _outside;
    private readonly SharedFiles _files;

    public SharedFilesTests()
    {
        _outside = Path.Combine(_dir, "outside");
        Directory.CreateDirectory(_outside);
        _files = new SharedFiles(Path.Combine(_dir, "shared"));
    }

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string WriteText(string relative, string text, uint mode = 0)
    {
        byte[] data = Encoding.UTF8.GetBytes(text);
        return _files.Write(relative, data, 0, (ulong)data.Length, mode, 0, 0, 0, "");
    }

    [Theory]
    [InlineData("")]
    [InlineData("/etc/passwd")]
    [InlineData("../outside/x")]
    [InlineData("volumes/../../outside/x")]
    [InlineData("volumes/./x")]
    [InlineData("volumes//x")]
    [InlineData("volumes/x/")]
    [InlineData("volumes/x\0y")]
    public void HostilePaths_AreRefused_NamingThePathField(string relative)
    {
        var e = Assert.Throws<AgentException>(() => WriteText(relative, "x"));
        Assert.Equal(AgentErrorCode.InvalidArgument, e.Code);
        Assert.Equal("path", e.Field);
        Assert.Throws<AgentException>(() => _files.Remove(relative));
        Assert.Empty(Directory.EnumerateFileSystemEntries(_outside));
    }

    [Fact]
    public void OverlongPaths_AreRefused()
    {
        Assert.Throws<AgentException>(() => WriteText(new string('a', 256), "x"));
        Assert.Throws<AgentException>(() => WriteText(string.Join('/', Enumerable.Repeat(new string('a', 200), 21)), "x"));
    }

    [Fact]
    public void ADirectoryReplacedByASymlink_IsNotFollowed_ByWritesOrRemovals()
    {
        WriteText("volumes/1-cm/..2024/key", "v1");
        File.WriteAllText(Path.Combine(_outside, "victim"), "keep");
        // What a container with a writable bind of the volume could do: swap a directory for a link out of it.
        string dir = Path.Combine(_files.Root, "volumes/1-cm/..2024");
        Directory.Delete(dir, recursive: true);
        File.CreateSymbolicLink(dir, _outside);

        var write = Assert.Throws<AgentException>(() => WriteText("volumes/1-cm/..2024/victim", "pwned"));
        Assert.Equal(AgentErrorCode.FailedPrecondition, write.Code);
        Assert.Throws<AgentException>(() => _files.Remove("volumes/1-cm/..2024/victim"));
        Assert.Equal("keep", File.ReadAllText(Path.Combine(_outside, "victim")));

        // Removing the link itself removes the link, not what it points at.
        Assert.True(_files.Remove("volumes/1-cm/..2024"));
        Assert.True(File.Exists(Path.Combine(_outside, "victim")));
    }

    [Fact]
    public void AFileReplacedByASymlink_IsReplaced_NotWrittenThrough()
    {
        string guest = WriteText("volumes/1-cm/key", "v1");
        File.Delete(guest);
        File.CreateSymbolicLink(guest, Path.Combine(_outside, "victim"));
        File.WriteAllText(Path.Combine(_outside, "victim"), "keep");

        WriteText("volumes/1-cm/key", "v2");

        Assert.Equal("keep", File.ReadAllText(Path.Combine(_outside, "victim")));
        Assert.Null(new FileInfo(guest).LinkTarget);
        Assert.Equal("v2", File.ReadAllText(guest));
    }

    [Fact]
    public void KubeletLayout_IsWrittenWithModes_AndTheDataLinkSwapsAtomically()
    {
        _files.Write("volumes/1-cm", [], 0, 0, 0x1ed, 0, 0, 0, "", directory: true);
        WriteText("volumes/1-cm/..2024_01/key", "v1", mode: 0x124);
        _files.Write("volumes/1-cm/..data", [], 0, 0, 0, 0, 0, 0, "..2024_01");
        _files.Write("volumes/1-cm/key", [], 0, 0, 0, 0, 0, 0, "..data/key");
        string root = Path.Combine(_files.Root, "volumes/1-cm");
        Assert.Equal("v1", File.ReadAllText(Path.Combine(root, "key")));
        Assert.Equal((UnixFileMode)0x124, File.GetUnixFileMode(Path.Combine(root, "..2024_01/key")));

        WriteText("volumes/1-cm/..2024_02/key", "v2");
        _files.Write("volumes/1-cm/..data", [], 0, 0, 0, 0, 0, 0, "..2024_02");
        Assert.True(_files.Remove("volumes/1-cm/..2024_01"));

        Assert.Equal("v2", File.ReadAllText(Path.Combine(root, "key")));
        Assert.Equal(["..2024_02", "..data", "key"], Directory.EnumerateFileSystemEntries(root).Select(Path.GetFileName).Order(StringComparer.Ordinal));
        Assert.False(_files.Remove("volumes/1-cm/..2024_01"));
        Assert.False(_files.Remove("volumes/nothing/here"));
    }

    [Fact]
    public void AnEntryWhoseKindChanged_IsReplaced()
    {
        WriteText("volumes/1-cm/sub/file", "x");
        _files.Write("volumes/1-cm/sub", [], 0, 0, 0, 0, 0, 0, "elsewhere");
        Assert.Equal("elsewhere", new FileInfo(Path.Combine(_files.Root, "volumes/1-cm/sub")).LinkTarget);
        _files.Write("volumes/1-cm/sub", [], 0, 0, 0x1c0, 0, 0, 0, "", directory: true);
        Assert.True(Directory.Exists(Path.Combine(_files.Root, "volumes/1-cm/sub")));
        Assert.Equal((UnixFileMode)0x1c0, File.GetUnixFileMode(Path.Combine(_files.Root, "volumes/1-cm/sub")));
    }

    [Fact]
    public void ChunkedFiles_AppearOnlyWhenComplete()
    {
        byte[] data = Encoding.UTF8.GetBytes("0123456789");
        string guest = _files.Write("volumes/1-cm/big", data.AsSpan(0, 4), 0, 10, 0, 0, 0, 0, "");
        Assert.False(File.Exists(guest));
        Assert.Throws<AgentException>(() => _files.Write("volumes/1-cm/big", data.AsSpan(6), 6, 10, 0, 0, 0, 0, ""));
        _files.Write("volumes/1-cm/big", data.AsSpan(4), 4, 10, 0, 0, 0, 0, "");
        Assert.Equal("0123456789", File.ReadAllText(guest));
    }
}
