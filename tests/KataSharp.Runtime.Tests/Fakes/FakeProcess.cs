using System.Text;
using KataSharp.Runtime.Model;

namespace KataSharp.Runtime.Tests.Fakes;

/// <summary>A "guest" process of the fake backend: the test writes its output and decides when it exits.</summary>
public sealed class FakeProcess
{
    private readonly TaskCompletionSource<uint> _exit = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly MemoryStream _stdinReceived = new();

    public FakeProcess(ProcessKey key, bool terminal)
    {
        Key = key;
        Terminal = terminal;
        StdinClosed = Task.Run(async () =>
        {
            await Stdin.Reader.CopyToAsync(_stdinReceived);
        });
    }

    public ProcessKey Key { get; }

    public bool Terminal { get; }

    public ChunkPipe Stdin { get; } = new();

    public ChunkPipe Stdout { get; } = new();

    public ChunkPipe Stderr { get; } = new();

    /// <summary>Completes when the shim closed the process's stdin.</summary>
    public Task StdinClosed { get; }

    public string StdinText => Encoding.UTF8.GetString(_stdinReceived.ToArray());

    public Task<uint> ExitCode => _exit.Task;

    public List<int> Signals { get; } = [];

    public void WriteStdout(string text) => Stdout.Writer.Write(Encoding.UTF8.GetBytes(text));

    public void WriteStderr(string text) => Stderr.Writer.Write(Encoding.UTF8.GetBytes(text));

    /// <summary>Ends the process like a real one: output closes, then the exit is visible.</summary>
    public void Exit(uint code)
    {
        Stdout.Writer.Dispose();
        Stderr.Writer.Dispose();
        _exit.TrySetResult(code);
    }

    public void Fail(Exception reason) => _exit.TrySetException(reason);
}
