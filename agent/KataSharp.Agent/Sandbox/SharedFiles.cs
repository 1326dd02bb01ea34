using KataSharp.Agent.Errors;
using KataSharp.Linux;
using KataSharp.Linux.Files;

namespace KataSharp.Agent.Sandbox;

/// <summary>
/// CopyFile's destination: small files (hosts, resolv.conf) and whole copied volumes (configmap, secret,
/// projected, downward API trees) written under one guest directory — files in chunks, appearing atomically
/// (rename) once complete; symlinks renamed into place, so kubelet's <c>..data</c> swap stays atomic in the guest;
/// and removals of entries that vanished on the host. Paths cannot leave it: each is checked by
/// <see cref="SharedPath"/> and walked with <see cref="DirectoryHandle"/>, never through a symlink, because a
/// container with a writable bind of a copied volume may have replaced any directory below it by a symlink.
/// </summary>
public sealed class SharedFiles(string root)
{
    private const long MaxFileSize = 64L << 20;
    private const UnixFileMode DefaultFileMode = (UnixFileMode)0x1a4, DefaultDirectoryMode = (UnixFileMode)0x1ed; // 0644, 0755
    private const string PartialSuffix = ".ks-partial", LinkSuffix = ".ks-link";

    public string Root { get; } = root;

    /// <summary>Writes one chunk of a file, a whole symlink (<paramref name="symlinkTarget"/>) or a directory; returns the guest path.</summary>
    public string Write(string relative, ReadOnlySpan<byte> data, ulong offset, ulong fileSize, uint mode, uint dirMode, uint uid, uint gid,
        string symlinkTarget, bool directory = false)
    {
        string[] parts = SharedPath.Split(relative, "path");
        string name = parts[^1];
        using DirectoryHandle parent = OpenParent(parts, create: true, dirMode == 0 ? DefaultDirectoryMode : (UnixFileMode)(dirMode & 0xfff))!;
        if (directory)
        {
            ReplaceUnless(parent, name, DirectoryEntryKind.Directory);
            using DirectoryHandle made = parent.OpenOrCreateDirectory(name, DefaultDirectoryMode);
            made.SetModeAndOwner(mode == 0 ? DefaultDirectoryMode : (UnixFileMode)(mode & 0xfff), uid, gid);
        }
        else if (symlinkTarget.Length > 0)
        {
            if (symlinkTarget.Contains('\0') || symlinkTarget.Length > SharedPath.MaxPathBytes)
            {
                throw AgentException.Invalid("symlink_target", "must be at most 4096 characters without NUL");
            }
            // The target is text for the container's view; the agent never resolves it.
            string temp = name + LinkSuffix;
            parent.Remove(temp);
            parent.CreateSymlink(temp, symlinkTarget);
            ReplaceUnless(parent, name, DirectoryEntryKind.Symlink);
            parent.Rename(temp, name);
        }
        else
        {
            WriteChunk(parent, relative, name, data, offset, fileSize, mode, uid, gid);
        }
        return Path.Combine(Root, relative);
    }

    /// <summary>Removes a file, symlink or directory tree below the shared directory, following no symlink; false when it was not there.</summary>
    public bool Remove(string relative)
    {
        string[] parts = SharedPath.Split(relative, "path");
        using DirectoryHandle? parent = OpenParent(parts, create: false, DefaultDirectoryMode);
        return parent is not null && parent.Remove(parts[^1]);
    }

    private static void WriteChunk(DirectoryHandle parent, string relative, string name, ReadOnlySpan<byte> data, ulong offset, ulong fileSize,
        uint mode, uint uid, uint gid)
    {
        if (fileSize > MaxFileSize)
        {
            throw AgentException.Invalid("file_size", $"{fileSize} bytes is above the {MaxFileSize >> 20} MiB CopyFile limit");
        }
        if (offset + (ulong)data.Length > fileSize)
        {
            throw AgentException.Invalid("offset", $"chunk [{offset}, +{data.Length}) runs past file_size {fileSize}");
        }
        string partial = name + PartialSuffix;
        FileDescriptor file;
        if (offset == 0)
        {
            parent.Remove(partial);
            file = parent.CreateFile(partial, DefaultFileMode);
        }
        else if (parent.KindOf(partial, out long size) != DirectoryEntryKind.File || (ulong)size != offset)
        {
            throw AgentException.FailedPrecondition($"chunk at offset {offset} of {relative} does not follow the previous chunk; resend from offset 0");
        }
        else
        {
            file = parent.OpenForAppend(partial);
        }
        using (file)
        {
            file.WriteAll(data);
            if (offset + (ulong)data.Length != fileSize)
            {
                return;
            }
            DirectoryHandle.SetModeAndOwner(file, mode == 0 ? DefaultFileMode : (UnixFileMode)(mode & 0xfff), uid, gid);
        }
        ReplaceUnless(parent, name, DirectoryEntryKind.File);
        parent.Rename(partial, name);
    }

    /// <summary>rename(2) replaces a file or symlink atomically, but not a directory by a non-directory (or back):
    /// an entry whose kind changed on the host is removed first.</summary>
    private static void ReplaceUnless(DirectoryHandle parent, string name, DirectoryEntryKind kind)
    {
        DirectoryEntryKind? existing = parent.KindOf(name, out _);
        bool compatible = existing is null || (existing == DirectoryEntryKind.Directory) == (kind == DirectoryEntryKind.Directory);
        if (!compatible)
        {
            parent.Remove(name);
        }
    }

    /// <summary>The directory holding the last component, walked from the root without following symlinks; null when a part
    /// is missing and <paramref name="create"/> is false.</summary>
    private DirectoryHandle? OpenParent(string[] parts, bool create, UnixFileMode dirMode)
    {
        Directory.CreateDirectory(Root);
        DirectoryHandle current = DirectoryHandle.Open(Root);
        try
        {
            foreach (string part in parts[..^1])
            {
                DirectoryHandle next;
                try
                {
                    next = create ? current.OpenOrCreateDirectory(part, dirMode) : current.OpenDirectory(part);
                }
                catch (LinuxException e) when (!create && e.Errno == Errno.ENOENT)
                {
                    current.Dispose();
                    return null;
                }
                catch (LinuxException e) when (e.Errno is Errno.ELOOP or Errno.ENOTDIR)
                {
                    throw AgentException.FailedPrecondition($"{Path.Combine(current.Path, part)} is not a directory (a symlink or file is there); nothing is written through it");
                }
                current.Dispose();
                current = next;
            }
            return current;
        }
        catch
        {
            current.Dispose();
            throw;
        }
    }
}
