using Tomlyn.Model;
using Tomlyn.Serialization;

namespace KataSharp.Runtime.Configuration;

/// <summary>
/// Source-generated Tomlyn metadata for the untyped model only, so parsing needs no reflection
/// (NativeAOT). The typed settings are then built by <see cref="ConfigurationParser"/>, which also
/// names every unknown key — something binding straight to records would silently skip.
/// </summary>
[TomlSerializable(typeof(TomlTable))]
internal sealed partial class TomlModelContext : TomlSerializerContext
{
}
