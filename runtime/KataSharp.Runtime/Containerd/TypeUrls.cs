using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;

namespace KataSharp.Runtime.Containerd;

/// <summary>
/// containerd 1.6 (typeurl v1) resolves an Any by the message's bare full name and does not
/// understand "type.googleapis.com/" prefixes, so every Any the shim emits uses the bare name.
/// </summary>
public static class TypeUrls
{
    /// <summary>OCI runtime-spec Process (JSON inside an Any), as containerd's typeurl registers it.</summary>
    public const string OciProcess = "types.containerd.io/opencontainers/runtime-spec/1/Process";

    /// <summary>OCI runtime-spec LinuxResources (JSON inside an Any).</summary>
    public const string OciLinuxResources = "types.containerd.io/opencontainers/runtime-spec/1/LinuxResources";

    public static Any Pack(IMessage message) => new()
    {
        TypeUrl = message.Descriptor.FullName,
        Value = message.ToByteString(),
    };

    /// <summary>The full message name of an Any's type URL, with or without a "host/" prefix.</summary>
    public static string MessageName(string typeUrl)
    {
        int slash = typeUrl.LastIndexOf('/');
        return slash < 0 ? typeUrl : typeUrl[(slash + 1)..];
    }
}
