using System.Text.RegularExpressions;
using KataSharp.Cli.Commands;
using KataSharp.Runtime.Configuration;
using Xunit;
using YamlDotNet.RepresentationModel;

namespace KataSharp.Runtime.Tests.Cli;

public class RuntimeClassTests
{
    /// <summary>Kubernetes' resource.Quantity (a number with an optional SI/binary suffix).</summary>
    private static readonly Regex Quantity = new(@"^[0-9]+(\.[0-9]+)?(m|k|M|G|T|Ki|Mi|Gi|Ti)?$");

    [Fact]
    public void The_manifest_is_a_node_k8s_io_v1_runtime_class_whose_overhead_follows_the_configuration()
    {
        var hypervisor = new HypervisorSettings("/k", "/i", 1, 512, "", 60, 8);
        var yaml = new YamlStream();
        yaml.Load(new StringReader(RuntimeClassCommand.Manifest(hypervisor)));
        var root = (YamlMappingNode)Assert.Single(yaml.Documents).RootNode;

        Assert.Equal("node.k8s.io/v1", Scalar(root, "apiVersion"));
        Assert.Equal("RuntimeClass", Scalar(root, "kind"));
        Assert.Equal("katasharp", Scalar((YamlMappingNode)root["metadata"], "name"));
        Assert.Equal("katasharp", Scalar(root, "handler"));
        var podFixed = (YamlMappingNode)((YamlMappingNode)root["overhead"])["podFixed"];
        Assert.Equal($"{512 + RuntimeClassCommand.ShimOverheadMib}Mi", Scalar(podFixed, "memory"));
        Assert.Matches(Quantity, Scalar(podFixed, "memory"));
        Assert.Matches(Quantity, Scalar(podFixed, "cpu"));
        Assert.Equal(["apiVersion", "handler", "kind", "metadata", "overhead"], root.Children.Keys.Select(k => ((YamlScalarNode)k).Value!).Order());
    }

    private static string Scalar(YamlMappingNode node, string key) => ((YamlScalarNode)node[key]).Value!;
}
