using KataSharp.Vmm.Errors;

namespace KataSharp.Vmm.Machine;

/// <summary>A machine setting is out of range; <see cref="Option"/> names it and the message says what is allowed.</summary>
public sealed class VmConfigException : VmmException
{
    public VmConfigException(string option, string message)
        : base(VmmFailure.BadConfiguration, message, option: option)
    {
    }

    /// <summary>The setting at fault, as the builder and the CLI call it ("vcpus", "memory").</summary>
    public new string Option => base.Option!;
}
