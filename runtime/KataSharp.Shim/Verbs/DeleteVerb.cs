using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;
using KataSharp.Runtime.Containerd.Wire;
using KataSharp.Runtime.Logging;
using KataSharp.Runtime.Model;
using KataSharp.Runtime.Oci;
using KataSharp.Runtime.Persistence;
using KataSharp.Runtime.Sandbox;

namespace KataSharp.Shim.Verbs;

/// <summary>
/// `delete`: containerd runs it after every task delete and after a shim died, with cwd = the
/// bundle and 5 s to finish. A live shim cleans up after itself, so only a dead one's leftovers
/// are removed: its socket, its sandbox state directory (VM sockets and logs; the VM itself ran
/// inside the dead process and died with it). It never touches another container of a live pod.
/// stdout carries exactly one protobuf DeleteResponse (exit 137, as runc's shim reports);
/// anything to say goes to stderr.
/// </summary>
public static class DeleteVerb
{
    public static int Run(ShimArguments args, Stream stdout, TextWriter stderr)
    {
        args.Require();
        string bundle = string.IsNullOrEmpty(args.Bundle) ? Directory.GetCurrentDirectory() : args.Bundle;
        string sandboxId = GroupingKey(bundle, args.Id, stderr);
        var store = SandboxStateStore.FromEnvironment();
        try
        {
            CleanUp(args, store, sandboxId, stderr);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or InvalidDataException)
        {
            stderr.WriteLine($"katasharp delete {args.Id}: cleanup incomplete: {e.Message}");
        }
        var response = new DeleteResponse
        {
            Pid = 0,
            ExitStatus = ExitStatus.Killed,
            ExitedAt = Timestamp.FromDateTimeOffset(DateTimeOffset.UtcNow),
        };
        response.WriteTo(stdout);
        stdout.Flush();
        return 0;
    }

    private static void CleanUp(ShimArguments args, SandboxStateStore store, string sandboxId, TextWriter stderr)
    {
        SandboxRecord? record = store.Load(sandboxId);
        if (record is not null && ProcessStartTime.IsAlive(record.ShimPid, record.ShimStartTime))
        {
            return; // the shim is alive and owns its sandbox
        }
        string socketPath = record?.SocketPath ?? ShimSocketAddress.PathFor(args.Address, args.Namespace, sandboxId);
        if (File.Exists(socketPath))
        {
            File.Delete(socketPath);
            stderr.WriteLine($"katasharp delete {args.Id}: removed the dead shim's socket {socketPath}");
        }
        if (record?.CgroupPath is { } cgroup)
        {
            PodCgroup.Remove(cgroup, new RuntimeLog(stderr, debug: false, sandboxId));
        }
        if (record is not null)
        {
            store.Remove(sandboxId);
            stderr.WriteLine($"katasharp delete {args.Id}: removed the dead sandbox {sandboxId}'s state");
        }
    }

    private static string GroupingKey(string bundle, string id, TextWriter stderr)
    {
        try
        {
            return OciBundle.Load(bundle).GroupingKey(id);
        }
        catch (RuntimeException e)
        {
            stderr.WriteLine($"katasharp delete {id}: {e.Message}; assuming a standalone container");
            return id;
        }
    }
}
