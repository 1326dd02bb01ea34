using KataSharp.Agent.Engine;

namespace KataSharp.Agent.Sandbox;

/// <summary>
/// CopyFile's destination: small files (hosts, resolv.conf, configmaps, secrets) written under one
/// guest directory, in chunks, appearing atomically (rename) once complete. Paths cannot leave it.
/// </summary>
public sealed class SharedFiles(string root)
{
    private const long MaxFileSize = 64L << 20;

    public string Root { get; } = root;

    public string Write(string relative, ReadOnlySpan<byte> data, ulong offset, ulong fileSize, uint mode, uint dirMode, uint uid, uint gid, string symlinkTarget)
    {
        string path = Resolve(relative);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!, (UnixFileMode)(dirMode == 0 ? 0x1ed : dirMode & 0xfff));
        if (symlinkTarget.Length > 0)
        {
            string temp = path + ".ks-link";
            File.Delete(temp);
            File.CreateSymbolicLink(temp, symlinkTarget);
            File.Move(temp, path, overwrite: true);
            return path;
        }
        if (fileSize > MaxFileSize)
        {
            throw AgentException.Invalid("file_size", $"{fileSize} bytes is above the {MaxFileSize >> 20} MiB CopyFile limit");
        }
        if (offset + (ulong)data.Length > fileSize)
        {
            throw AgentException.Invalid("offset", $"chunk [{offset}, +{data.Length}) runs past file_size {fileSize}");
        }
        string partial = path + ".ks-partial";
        if (offset == 0)
        {
            File.Delete(partial);
        }
        else if (!File.Exists(partial) || (ulong)new FileInfo(partial).Length != offset)
        {
            throw AgentException.FailedPrecondition($"chunk at offset {offset} of {relative} does not follow the previous chunk; resend from offset 0");
        }
        using (var stream = new FileStream(partial, FileMode.Append, FileAccess.Write))
        {
            stream.Write(data);
        }
        if (offset + (ulong)data.Length == fileSize)
        {
            File.SetUnixFileMode(partial, (UnixFileMode)(mode == 0 ? 0x1a4 : mode & 0xfff));
            if (uid != 0 || gid != 0)
            {
                Linux.Files.Ownership.Change(partial, uid, gid);
            }
            File.Move(partial, path, overwrite: true);
        }
        return path;
    }

    private string Resolve(string relative)
    {
        if (relative.Length == 0 || relative.StartsWith('/') || relative.Split('/').Any(p => p is ".." or "." || p.Length == 0) || relative.Contains('\0'))
        {
            throw AgentException.Invalid("path", $"'{relative}' must be a relative path below the shared directory, without '.', '..' or empty parts");
        }
        return Path.Combine(Root, relative);
    }
}
