using System.Text.Json.Serialization;

namespace KataSharp.Runtime.Persistence;

/// <summary>System.Text.Json source generation for the persisted records (no reflection, NativeAOT-safe).</summary>
[JsonSourceGenerationOptions(WriteIndented = true, PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower)]
[JsonSerializable(typeof(SandboxRecord))]
internal sealed partial class PersistenceJsonContext : JsonSerializerContext
{
}
