namespace KataSharp.TestHost.Protocol;

/// <summary>
/// The spool directory shared with the agent: one directory per command holding the host's
/// command.sh and the agent's pid, stdout, stderr and exit files. In Nested mode it is a
/// writable 9p share mounted in L1 at the same path.
/// </summary>
internal sealed class CommandSpool
{
    public CommandSpool(string directory)
    {
        Directory = directory;
    }

    public string Directory { get; }

    public void Prepare(string id, string script)
    {
        string dir = PathOf(id);
        System.IO.Directory.CreateDirectory(dir);
        File.WriteAllText(Path.Combine(dir, "command.sh"), script);
    }

    /// <summary>A follower of the command's output files, for live output while it runs.</summary>
    public CommandOutputFollower Follow(string id, Action<CommandStream, ReadOnlyMemory<byte>> output) => new(PathOf(id), output);

    /// <summary>What the command wrote so far (complete once the agent sent DONE).</summary>
    public (string Stdout, string Stderr) ReadOutput(string id) =>
        (ReadIfExists(Path.Combine(PathOf(id), "stdout")), ReadIfExists(Path.Combine(PathOf(id), "stderr")));

    /// <summary>
    /// Best effort, and never throws: it runs in RunAsync's finally, where an exception would hide
    /// the command's real failure. A command the machine's death orphaned can still be writing here
    /// (Direct mode: "Directory not empty" during the recursive delete); the run directory's removal
    /// at shutdown, or the next run, takes what is left.
    /// </summary>
    public void Remove(string id)
    {
        try
        {
            System.IO.Directory.Delete(PathOf(id), recursive: true);
        }
        catch (IOException)
        {
            // DirectoryNotFoundException too: already gone with the run's spool.
        }
    }

    private string PathOf(string id) =>
        CommandId.IsValid(id) ? Path.Combine(Directory, id) : throw new ArgumentException($"'{id}' is not a valid command id", nameof(id));

    private static string ReadIfExists(string path)
    {
        try
        {
            // The agent may still be writing (timeout path): share everything, read what is there.
            using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            using var reader = new StreamReader(stream);
            return reader.ReadToEnd();
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            // Not written yet, or the run's spool is already gone because the machine exited.
            return "";
        }
    }
}
