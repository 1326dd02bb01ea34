using System.Text.Json;
using KataSharp.Runtime.Tests.Oci;
using KataSharp.Shim.Backend.Agent;
using Xunit;

namespace KataSharp.Runtime.Tests.Backend;

/// <summary>CRI's file binds carry a propagation option ("rprivate") that means nothing for a copied file.</summary>
public class GuestSpecPropagationTests
{
    [Fact]
    public void CopiedFileBinds_LosePropagation_OtherMountsKeepIt()
    {
        const string spec = """
            {"mounts":[{"destination":"/etc/hostname","type":"bind","source":"/run/x/hostname","options":["rbind","rprivate","rw"]},
                       {"destination":"/mnt","type":"bind","source":"/guest/dir","options":["rbind","rslave"]}]}
            """;
        string rewritten = GuestSpec.ForAgent(Specs.Parse(spec), new Dictionary<string, string> { ["/etc/hostname"] = "/run/katasharp/shared/containers/c1/0-hostname" });
        JsonElement[] mounts = JsonDocument.Parse(rewritten).RootElement.GetProperty("mounts").EnumerateArray().ToArray();
        Assert.Equal(["rbind", "rw"], mounts[0].GetProperty("options").EnumerateArray().Select(o => o.GetString()));
        Assert.Equal("/run/katasharp/shared/containers/c1/0-hostname", mounts[0].GetProperty("source").GetString());
        Assert.Equal(["rbind", "rslave"], mounts[1].GetProperty("options").EnumerateArray().Select(o => o.GetString()));
    }
}
