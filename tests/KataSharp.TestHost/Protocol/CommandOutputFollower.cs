namespace KataSharp.TestHost.Protocol;

/// <summary>
/// Hands on what a running command has written to its spool files since the last look, stdout and
/// stderr each from where it stopped, as raw bytes (a UTF-8 character split across two looks stays
/// whole on the receiving end, which writes bytes too). The agent's files only grow while the command
/// runs, so an offset per file is all it takes. Not thread-safe: one caller pumps.
/// </summary>
internal sealed class CommandOutputFollower
{
    private readonly string stdoutPath;
    private readonly string stderrPath;
    private readonly Action<CommandStream, ReadOnlyMemory<byte>> output;
    private readonly byte[] buffer = new byte[64 * 1024];
    private long stdoutOffset;
    private long stderrOffset;

    public CommandOutputFollower(string commandDirectory, Action<CommandStream, ReadOnlyMemory<byte>> output)
    {
        stdoutPath = Path.Combine(commandDirectory, "stdout");
        stderrPath = Path.Combine(commandDirectory, "stderr");
        this.output = output;
    }

    /// <summary>Passes on everything new in both files (stdout first); never throws for a file that is not there (yet).</summary>
    public void Pump()
    {
        stdoutOffset = PumpFile(stdoutPath, stdoutOffset, CommandStream.Stdout);
        stderrOffset = PumpFile(stderrPath, stderrOffset, CommandStream.Stderr);
    }

    private long PumpFile(string path, long offset, CommandStream stream)
    {
        try
        {
            using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, bufferSize: 0);
            file.Seek(offset, SeekOrigin.Begin);
            int n;
            while ((n = file.Read(buffer)) > 0)
            {
                output(stream, buffer.AsMemory(0, n));
                offset += n;
            }
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            // Not created yet (the agent has not started the command), or the spool is gone with the machine.
        }
        return offset;
    }
}
