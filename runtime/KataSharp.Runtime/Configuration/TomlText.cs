using Tomlyn;
using Tomlyn.Model;

namespace KataSharp.Runtime.Configuration;

/// <summary>TOML text → Tomlyn's untyped model, without reflection (NativeAOT-safe).</summary>
public static class TomlText
{
    /// <exception cref="TomlException">The text is not valid TOML.</exception>
    public static TomlTable Parse(string text) =>
        TomlSerializer.Deserialize(text, TomlModelContext.Default.TomlTable) ?? new TomlTable();
}
