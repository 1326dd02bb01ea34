using KataSharp.Runtime.Model;
using KataSharp.Runtime.Oci;
using KataSharp.Runtime.Oci.Spec;
using Xunit;

namespace KataSharp.Runtime.Tests.Oci;

/// <summary>The one parsed spec: how text becomes it, the one reader of mounts (and rule for binds), and what the bundle reads from it.</summary>
public sealed class OciSpecTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("ks-oci-spec-").FullName;

    [Fact]
    public void TextThatIsNotAJsonObject_IsInvalidArgument_NamingWhere()
    {
        var notJson = Assert.Throws<RuntimeException>(() => OciSpec.Parse("{", "/b/config.json"));
        Assert.Equal(RuntimeError.InvalidArgument, notJson.Error);
        Assert.StartsWith("/b/config.json is not valid JSON: ", notJson.Message);
        var array = Assert.Throws<RuntimeException>(() => OciSpec.Parse("[1]", "/b/config.json"));
        Assert.Equal(RuntimeError.InvalidArgument, array.Error);
        Assert.Equal("/b/config.json: the OCI spec is not a JSON object", array.Message);
    }

    /// <summary>The document could not hold both: refused at the parse, not by whichever translation first reads the object.</summary>
    [Fact]
    public void ANameTwiceInAnObject_IsInvalidArgumentAtTheParse()
    {
        var e = Assert.Throws<RuntimeException>(() => OciSpec.Parse("""{"annotations":{"a":"1","a":"2"}}""", "config.json"));
        Assert.Equal(RuntimeError.InvalidArgument, e.Error);
        Assert.StartsWith("config.json is not valid JSON: ", e.Message);
    }

    [Fact]
    public void ABundleWhoseSpecIsNoObject_FailsToLoad_AsInvalidArgument()
    {
        File.WriteAllText(Path.Combine(_dir, "config.json"), "[1]");
        var e = Assert.Throws<RuntimeException>(() => OciBundle.Load(_dir));
        Assert.Equal(RuntimeError.InvalidArgument, e.Error);
        Assert.Contains(Path.Combine(_dir, "config.json"), e.Message);
    }

    [Theory]
    [InlineData("""{"type":"bind","source":"/a"}""", true)]
    [InlineData("""{"source":"/a","options":["rbind","ro"]}""", true)] // CRI's file binds carry no type
    [InlineData("""{"type":"none","options":["bind"]}""", true)]
    [InlineData("""{"type":"tmpfs","source":"shm","options":["nosuid"]}""", false)]
    [InlineData("""{"type":5,"options":[1,"rbind"]}""", true)] // a field of the wrong kind reads as absent, it does not throw
    [InlineData("""{"type":["bind"],"options":"rbind"}""", false)]
    public void IsBind_IsTheTypeOrABindOption(string mount, bool isBind)
    {
        OciMount read = Assert.Single(Specs.Parse($$"""{"mounts":[{{mount}}]}""").Mounts());
        Assert.Equal(isBind, read.IsBind);
    }

    [Fact]
    public void Mounts_KeepTheirArrayIndex_AndFieldsOfTheWrongKindReadAsNull()
    {
        OciSpec spec = Specs.Parse("""{"mounts":[7,{"destination":"/x","source":3,"options":["ro"]}]}""");
        OciMount mount = Assert.Single(spec.Mounts());
        Assert.Equal((1, "/x", (string?)null, true), (mount.Index, mount.Destination, mount.Source, mount.ReadOnly));
    }

    [Fact]
    public void ReplaceMount_RefusesAMountThatIsNotThere()
    {
        OciSpec spec = Specs.Parse("""{"mounts":[{"destination":"/x"}]}""");
        OciMount stranger = Assert.Single(Specs.Parse("""{"mounts":[{"destination":"/x"}]}""").Mounts());
        Assert.Throws<InvalidOperationException>(() => spec.ReplaceMount(stranger, []));
    }

    [Fact]
    public void TheBundle_ReadsWhatTheHostSpecSays_AndKeepsIt_WhileTheSpecIsTranslatedForTheGuest()
    {
        File.WriteAllText(Path.Combine(_dir, "config.json"), """
            {"annotations":{"io.kubernetes.cri.sandbox-id":"pod-1","n":5},
             "mounts":[{"destination":"/etc/hosts","type":"bind","source":"/h/hosts","options":["rbind","ro"]},{"destination":"/proc","type":"proc"}],
             "linux":{"cgroupsPath":"/k8s/pod-1","resources":{"memory":{"limit":268435456}},
                      "namespaces":[{"type":"mount"},{"type":"network","path":"/var/run/netns/cni-1"}]}}
            """);
        OciBundle bundle = OciBundle.Load(_dir);
        VmSpecAdapter.ForGuest(bundle.Spec, _ => null, out _, out _); // drops the network path from the document

        Assert.DoesNotContain("cni-1", bundle.Spec.ToJson());
        Assert.Equal("/var/run/netns/cni-1", bundle.NetworkNamespacePath);
        Assert.Equal("pod-1", bundle.GroupingKey("c1"));
        Assert.Equal(["io.kubernetes.cri.sandbox-id"], bundle.Annotations.Keys);
        Assert.Equal([("/h/hosts", "/etc/hosts", true)], bundle.BindMounts);
        Assert.Equal("/k8s/pod-1", bundle.CgroupsPath);
        Assert.Equal(268435456, bundle.MemoryLimitBytes);
    }

    [Theory]
    [InlineData("0")]
    [InlineData("-1")]
    [InlineData("1.5")]
    [InlineData("\"1024\"")]
    public void AMemoryLimitThatIsNotAPositiveInteger_IsNone(string limit) =>
        Assert.Null(Specs.Parse("""{"linux":{"resources":{"memory":{"limit":""" + limit + "}}}}").ReadMemoryLimit());

    public void Dispose() => Directory.Delete(_dir, recursive: true);
}
