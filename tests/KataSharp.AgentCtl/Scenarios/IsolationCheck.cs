using System.Text.Json.Nodes;
using Google.Protobuf;
using KataSharp.Agent.Protocol;

namespace KataSharp.AgentCtl.Scenarios;

/// <summary>
/// Containers cannot reach or change the agent (issue 10), checked inside a real guest: a static probe
/// (copied in with CopyFile, bound into a busybox container) connects to vsock port 1024 on CIDs 1, 2
/// and 3 and reports whether an HTTP/2 server answered; a container that binds the guest's "/" tries to
/// write ks-spawn and a new file there; the agent still serves the host afterwards. Prints key=value lines.
/// </summary>
public static class IsolationCheck
{
    public static async Task RunAsync(AgentService.AgentServiceClient agent, RootFilesystem rootfs, string probePath, TextWriter output, CancellationToken ct)
    {
        await agent.CreateSandboxAsync(new CreateSandboxRequest { SandboxId = "isolation-check", Hostname = "isolation-check" }, cancellationToken: ct);
        byte[] probe = await File.ReadAllBytesAsync(probePath, ct);
        CopyFileResponse copied = await agent.CopyFileAsync(new CopyFileRequest
        {
            Path = "probes/vsock-probe", Data = ByteString.CopyFrom(probe), FileSize = (ulong)probe.Length, Mode = 0x1ed,
        }, cancellationToken: ct);

        JsonObject vsock = OciSpecs.Create("/vsock-probe");
        vsock["mounts"]!.AsArray().Add((JsonNode)new JsonObject
        {
            ["destination"] = "/vsock-probe", ["type"] = "bind", ["source"] = copied.GuestPath, ["options"] = new JsonArray("rbind", "ro"),
        });
        RunResult probed = await ContainerRun.RunAsync(agent, "vsock-probe", vsock, rootfs, ct: ct);
        output.WriteLine($"vsock_probe_exit={probed.ExitCode}");
        foreach (string line in probed.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            output.WriteLine($"vsock_{line}");
        }

        JsonObject root = OciSpecs.Create("sh", "-c",
            "for f in /guest/usr/bin/ks-spawn /guest/new-file; do if echo x >> $f 2>/dev/null; then echo $f=written; else echo $f=refused; fi; done");
        root["mounts"]!.AsArray().Add((JsonNode)new JsonObject
        {
            ["destination"] = "/guest", ["type"] = "bind", ["source"] = "/", ["options"] = new JsonArray("rbind", "rw"),
        });
        RunResult written = await ContainerRun.RunAsync(agent, "guest-root", root, rootfs, ct: ct);
        output.WriteLine($"guest_root_exit={written.ExitCode}");
        foreach (string line in written.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            output.WriteLine($"guest_root_{line.Replace("/guest/", "").Replace('/', '_').Replace('-', '_')}");
        }

        GuestDetails details = await agent.GetGuestDetailsAsync(new GetGuestDetailsRequest(), cancellationToken: ct);
        output.WriteLine($"agent_serves_host_after={(details.AgentVersion.Length > 0 ? 1 : 0)}");
    }
}
