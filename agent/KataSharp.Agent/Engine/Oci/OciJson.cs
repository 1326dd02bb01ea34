using System.Text.Json;
using KataSharp.Agent.Errors;

namespace KataSharp.Agent.Engine.Oci;

/// <summary>Parses OCI JSON documents; a malformed document is InvalidArgument naming the JSON path.</summary>
public static class OciJson
{
    public static OciSpec ParseSpec(ReadOnlySpan<byte> json) => Parse(json, OciJsonContext.Default.OciSpec, "oci_spec_json");

    public static OciProcess ParseProcess(ReadOnlySpan<byte> json) => Parse(json, OciJsonContext.Default.OciProcess, "process_json");

    public static OciResources ParseResources(ReadOnlySpan<byte> json) => Parse(json, OciJsonContext.Default.OciResources, "resources_json");

    private static T Parse<T>(ReadOnlySpan<byte> json, System.Text.Json.Serialization.Metadata.JsonTypeInfo<T> type, string field)
    {
        if (json.IsEmpty)
        {
            throw AgentException.Invalid(field, "is empty; send the JSON document");
        }
        try
        {
            return JsonSerializer.Deserialize(json, type) ?? throw AgentException.Invalid(field, "is JSON null");
        }
        catch (JsonException e)
        {
            string path = string.IsNullOrEmpty(e.Path) ? field : e.Path.TrimStart('$', '.');
            throw AgentException.Invalid(path, $"malformed JSON ({e.Message})");
        }
    }
}
