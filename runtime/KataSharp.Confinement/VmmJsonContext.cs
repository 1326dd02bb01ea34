using System.Text.Json.Serialization;

namespace KataSharp.Confinement;

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(VmmProcessSpec))]
[JsonSerializable(typeof(VmmMessage))]
[JsonSerializable(typeof(List<VmmMetricWire>))]
public sealed partial class VmmJsonContext : JsonSerializerContext;
