using System.Text.Json.Serialization;

namespace KataSharp.Shim.Confinement;

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(VmmProcessSpec))]
[JsonSerializable(typeof(VmmMessage))]
[JsonSerializable(typeof(List<VmmMetricWire>))]
internal sealed partial class VmmJsonContext : JsonSerializerContext;
