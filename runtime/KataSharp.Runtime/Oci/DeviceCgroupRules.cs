using System.Text.Json.Nodes;
using KataSharp.Runtime.Oci.Spec;

namespace KataSharp.Runtime.Oci;

/// <summary>
/// What a spec's devices cgroup (<c>linux.resources.devices</c>) lets a container do with one device, evaluated as runc
/// does: for each access (r, w, m) the last rule that covers the device's type and numbers and that access decides;
/// no such rule denies (containerd's specs start with a deny-all rule; a privileged container's is one allow-all rule).
/// </summary>
public static class DeviceCgroupRules
{
    /// <summary>Whether every access in <paramref name="access"/> ("r", "rw"...) to the device is allowed.</summary>
    /// <param name="type">'b' or 'c'.</param>
    public static bool Allows(OciSpec spec, char type, uint major, uint minor, string access)
    {
        JsonArray? rules = spec.Linux?["resources"] is JsonObject resources ? resources["devices"] as JsonArray : null;
        if (rules is null)
        {
            return false;
        }
        foreach (char wanted in access)
        {
            bool allowed = false;
            foreach (JsonObject rule in rules.OfType<JsonObject>())
            {
                if (Covers(rule, type, major, minor, wanted))
                {
                    allowed = rule["allow"] is JsonValue allow && allow.TryGetValue(out bool yes) && yes;
                }
            }
            if (!allowed)
            {
                return false;
            }
        }
        return true;
    }

    private static bool Covers(JsonObject rule, char type, uint major, uint minor, char access)
    {
        string ruleType = JsonText.Of(rule["type"]) ?? "a";
        string ruleAccess = JsonText.Of(rule["access"]) ?? "";
        return (ruleType is "" or "a" || ruleType == type.ToString())
            && Matches(rule["major"], major) && Matches(rule["minor"], minor)
            && (ruleAccess.Length == 0 || ruleAccess.Contains(access));
    }

    /// <summary>An absent number or -1 is the wildcard.</summary>
    private static bool Matches(JsonNode? number, uint value) =>
        number is not JsonValue v || !v.TryGetValue(out long n) || n == -1 || n == value;
}
