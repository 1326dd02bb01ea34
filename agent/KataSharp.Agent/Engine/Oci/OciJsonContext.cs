using System.Text.Json;
using System.Text.Json.Serialization;

namespace KataSharp.Agent.Engine.Oci;

/// <summary>Source-generated (NativeAOT-safe) JSON binding of the OCI types, camelCase as the spec writes them.</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, ReadCommentHandling = JsonCommentHandling.Skip,
    AllowTrailingCommas = true, NumberHandling = JsonNumberHandling.Strict)]
[JsonSerializable(typeof(OciSpec))]
[JsonSerializable(typeof(OciProcess))]
[JsonSerializable(typeof(OciResources))]
internal sealed partial class OciJsonContext : JsonSerializerContext;
