using System.Text.Json.Nodes;

namespace KataSharp.Runtime.Oci.Spec;

/// <summary>A spec field read as text: the string a JSON node holds, or null when it is absent or not a string.</summary>
internal static class JsonText
{
    public static string? Of(JsonNode? node) => node is JsonValue value && value.TryGetValue(out string? text) ? text : null;
}
