using System.Text.Json.Nodes;
using KataSharp.Runtime.Oci.Spec;
using Xunit;

namespace KataSharp.Runtime.Tests.Oci;

/// <summary>Specs for the translation tests: parsed as the bundle parses them, and compared with the text they came from.</summary>
internal static class Specs
{
    public static OciSpec Parse(string json) => OciSpec.Parse(json, "config.json");

    /// <summary>The translations edit the document in place: one that had nothing to translate still says exactly what its text said.</summary>
    public static void AssertUntouched(string original, OciSpec spec) =>
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse(original), spec.Root), $"the spec changed: {spec.ToJson()}");
}
