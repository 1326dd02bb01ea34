using System.Text;
using System.Text.Json.Nodes;
using KataSharp.Agent.Engine.Oci;

namespace KataSharp.Agent.Tests.Spec;

/// <summary>
/// Upstream seccomp profiles as the OCI runtime receives them on x86-64 (test data in Spec/Profiles):
/// containerd 1.6's RuntimeDefault (contrib/seccomp DefaultProfile, what CRI applies for RuntimeDefault) and Docker's
/// default (moby profiles/seccomp/default.json), each rendered for the default capability set (no CAP_SYS_ADMIN,
/// CAP_SYS_CHROOT present): the rules of other architectures and capabilities left out as containerd and dockerd do.
/// </summary>
internal static class SeccompProfiles
{
    public const string ContainerdRuntimeDefault = "containerd-runtime-default";
    public const string DockerDefault = "docker-default";

    public static JsonObject Json(string name) =>
        JsonNode.Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Spec", "Profiles", name + ".json")))!.AsObject();

    /// <summary>The profile through the agent's own OCI parser, as a container spec would bring it.</summary>
    public static OciSeccomp Parse(string name)
    {
        var spec = new JsonObject { ["linux"] = new JsonObject { ["seccomp"] = Json(name) } };
        return OciJson.ParseSpec(Encoding.UTF8.GetBytes(spec.ToJsonString())).Linux!.Seccomp!;
    }
}
