using Google.Protobuf;
using KataSharp.Agent.Protocol;
using KataSharp.Runtime.Volumes;

namespace KataSharp.Shim.Backend.Agent;

/// <summary><see cref="IGuestVolumes"/> over the agent: CopyFile (files in chunks, symlinks, directories), RemoveFile, PrepareVolume.</summary>
public sealed class AgentGuestVolumes(AgentService.AgentServiceClient agent, AgentCalls calls) : IGuestVolumes
{
    /// <summary>Below gRPC's default 4 MiB message limit with room to spare.</summary>
    private const int ChunkBytes = 1 << 20;

    public async Task<string> WriteDirectoryAsync(string relative, UnixFileMode mode, CancellationToken cancellationToken)
    {
        CopyFileResponse made = await calls.RequestAsync($"volume: directory {relative}", o => agent.CopyFileAsync(
            new CopyFileRequest { Path = relative, Directory = true, Mode = (uint)mode }, o), cancellationToken);
        return made.GuestPath;
    }

    public async Task WriteFileAsync(string relative, ReadOnlyMemory<byte> content, UnixFileMode mode, CancellationToken cancellationToken)
    {
        int offset = 0;
        do
        {
            int length = Math.Min(ChunkBytes, content.Length - offset);
            var request = new CopyFileRequest
            {
                Path = relative,
                Data = ByteString.CopyFrom(content.Span.Slice(offset, length)),
                Offset = (ulong)offset,
                FileSize = (ulong)content.Length,
                Mode = (uint)mode,
            };
            await calls.RequestAsync($"volume: file {relative}", o => agent.CopyFileAsync(request, o), cancellationToken);
            offset += length;
        }
        while (offset < content.Length);
    }

    public Task WriteSymlinkAsync(string relative, string target, CancellationToken cancellationToken) =>
        calls.RequestAsync($"volume: symlink {relative}", o => agent.CopyFileAsync(
            new CopyFileRequest { Path = relative, SymlinkTarget = target }, o), cancellationToken);

    public Task RemoveAsync(string relative, CancellationToken cancellationToken) =>
        calls.RequestAsync($"volume: remove {relative}", o => agent.RemoveFileAsync(new RemoveFileRequest { Path = relative }, o), cancellationToken);

    public async Task<string> PrepareVolumeAsync(string name, long? tmpfsBytes, CancellationToken cancellationToken)
    {
        PrepareVolumeResponse made = await calls.RequestAsync($"pod volume {name}", o => agent.PrepareVolumeAsync(new PrepareVolumeRequest
        {
            Name = name,
            Medium = tmpfsBytes is null ? VolumeMedium.Directory : VolumeMedium.Tmpfs,
            SizeBytes = (ulong)(tmpfsBytes ?? 0),
        }, o), cancellationToken);
        return made.GuestPath;
    }
}
