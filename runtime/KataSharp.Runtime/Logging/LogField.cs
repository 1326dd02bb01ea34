namespace KataSharp.Runtime.Logging;

/// <summary>
/// A structured logfmt field of a log line (<c>key=value</c>) that scripts and tools read instead of
/// the message text, e.g. <c>vm_exit_reason=GuestShutdown</c>. <see cref="RuntimeLog"/> writes it after
/// the message, sandbox and container, right before the line's last field (runtime=...).
/// </summary>
public readonly record struct LogField
{
    public LogField(string key, string value)
    {
        if (key.Length == 0 || !key.All(c => c is (>= 'a' and <= 'z') or (>= '0' and <= '9') or '_'))
        {
            throw new ArgumentException($"log field key '{key}' must be lower-case letters, digits and '_'", nameof(key));
        }
        Key = key;
        Value = value;
    }

    public string Key { get; }

    public string Value { get; }
}
