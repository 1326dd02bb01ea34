using System.Globalization;
using System.Text;
using System.Text.Json;

namespace KataSharp.CriProbe.Connection;

/// <summary>
/// The metav1.Status JSON that v4.channel.k8s.io sends on channel 3 when an exec or attach ends
/// (kubelet pkg/cri/streaming/remotecommand/httpstream.go v4WriteStatusFunc; exec.go fills it):
/// {"status":"Success"}, or {"status":"Failure","reason":"NonZeroExitCode","message":...,
/// "details":{"causes":[{"reason":"ExitCode","message":"N"}]}} (a StatusCause's Type is
/// serialised as "reason"), or an InternalError status when the exec itself failed.
/// Read with JsonDocument: no reflection, so NativeAOT-safe.
/// </summary>
internal readonly record struct RemoteStatus(bool Success, int? ExitCode, string Message)
{
    public static RemoteStatus Parse(ReadOnlySpan<byte> json)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(json.ToArray());
        }
        catch (JsonException e)
        {
            throw new ProbeException($"the streaming server's status on channel 3 is not JSON ({e.Message}): '{Encoding.UTF8.GetString(json)}'");
        }
        using (document)
        {
            JsonElement root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                throw new ProbeException($"the streaming server's status on channel 3 is not a JSON object: '{root.GetRawText()}'");
            }
            string message = Text(root, "message");
            return Text(root, "status") == "Success"
                ? new RemoteStatus(true, 0, message)
                : new RemoteStatus(false, ExitCodeCause(root), message);
        }
    }

    private static int? ExitCodeCause(JsonElement root)
    {
        if (!root.TryGetProperty("details", out JsonElement details) || details.ValueKind != JsonValueKind.Object
            || !details.TryGetProperty("causes", out JsonElement causes) || causes.ValueKind != JsonValueKind.Array)
        {
            return null;
        }
        foreach (JsonElement cause in causes.EnumerateArray())
        {
            if (cause.ValueKind == JsonValueKind.Object && Text(cause, "reason") == "ExitCode"
                && int.TryParse(Text(cause, "message"), NumberStyles.Integer, CultureInfo.InvariantCulture, out int code))
            {
                return code;
            }
        }
        return null;
    }

    private static string Text(JsonElement element, string name) =>
        element.TryGetProperty(name, out JsonElement value) && value.ValueKind == JsonValueKind.String ? value.GetString() ?? "" : "";
}
