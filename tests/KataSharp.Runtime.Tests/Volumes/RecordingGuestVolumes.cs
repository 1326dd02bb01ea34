using System.Text;
using KataSharp.Runtime.Volumes;

namespace KataSharp.Runtime.Tests.Volumes;

/// <summary>A fake agent for the volume code: records every call in order, as "op path[ detail]", and keeps the files written.</summary>
public sealed class RecordingGuestVolumes : IGuestVolumes
{
    private readonly object _lock = new();
    private readonly List<string> _calls = [];

    public Dictionary<string, string> Files { get; } = new(StringComparer.Ordinal);

    /// <summary>When set, every call fails with it (a guest that stopped answering).</summary>
    public Exception? Failure { get; set; }

    public IReadOnlyList<string> Calls
    {
        get
        {
            lock (_lock)
            {
                return [.. _calls];
            }
        }
    }

    public void Clear()
    {
        lock (_lock)
        {
            _calls.Clear();
        }
    }

    public Task<string> WriteDirectoryAsync(string relative, UnixFileMode mode, CancellationToken cancellationToken)
    {
        Record($"dir {relative}");
        return Task.FromResult($"/guest/shared/{relative}");
    }

    public Task WriteFileAsync(string relative, ReadOnlyMemory<byte> content, UnixFileMode mode, CancellationToken cancellationToken)
    {
        Record($"file {relative}");
        lock (_lock)
        {
            Files[relative] = Encoding.UTF8.GetString(content.Span);
        }
        return Task.CompletedTask;
    }

    public Task WriteSymlinkAsync(string relative, string target, CancellationToken cancellationToken)
    {
        Record($"link {relative} -> {target}");
        return Task.CompletedTask;
    }

    public Task RemoveAsync(string relative, CancellationToken cancellationToken)
    {
        Record($"remove {relative}");
        return Task.CompletedTask;
    }

    public Task<string> PrepareVolumeAsync(string name, long? tmpfsBytes, CancellationToken cancellationToken)
    {
        Record(tmpfsBytes is null ? $"prepare {name}" : $"prepare {name} tmpfs {tmpfsBytes}");
        return Task.FromResult($"/guest/volumes/{name}");
    }

    private void Record(string call)
    {
        if (Failure is { } failure)
        {
            throw failure;
        }
        lock (_lock)
        {
            _calls.Add(call);
        }
    }
}
