using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace KataSharp.Cli.Reports;

/// <summary>
/// The --json output, serialized by source generation (NativeAOT: no reflection). snake_case, so the
/// keys of `env --json` are the keys of configuration.toml.
/// </summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower, WriteIndented = true)]
[JsonSerializable(typeof(CheckReport))]
[JsonSerializable(typeof(EnvReport))]
internal sealed partial class ReportJsonContext : JsonSerializerContext
{
    /// <summary>
    /// Like <see cref="JsonSerializerContext"/>'s Default, but writes ` " ' &lt; as they are: the output goes to a
    /// terminal or jq, never into HTML, and the details quote commands (`katasharp install`) and names.
    /// </summary>
    public static ReportJsonContext Output { get; } = new(new JsonSerializerOptions
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        WriteIndented = true,
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    });
}
