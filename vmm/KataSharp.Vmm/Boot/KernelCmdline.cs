using System.Text;

namespace KataSharp.Vmm.Boot;

/// <summary>
/// The kernel command line: space-separated parameters, appended to by the VMM (e.g. virtio-mmio
/// device descriptions) and checked against the kernel's limit before it is written.
/// </summary>
public sealed class KernelCmdline
{
    /// <summary>What katasharp-vmm and the runtime boot with when not told otherwise: the console on
    /// COM1, reboot through the i8042 (which stops the VM), and an immediate reboot on panic.</summary>
    public const string Default = "console=ttyS0 reboot=k panic=-1";

    private readonly List<string> _parts = [];

    public KernelCmdline(string? initial = null)
    {
        if (!string.IsNullOrWhiteSpace(initial))
        {
            Append(initial);
        }
    }

    /// <summary>Adds one or more parameters. Rejects characters the kernel's parser cannot take.</summary>
    public KernelCmdline Append(string parameters)
    {
        foreach (char c in parameters)
        {
            if (c == '\0' || c == '\n' || c > 0x7E)
            {
                throw new BootException(BootError.CmdlineInvalid,
                    $"kernel command line '{parameters}' contains {(c == '\0' ? "a NUL" : c == '\n' ? "a newline" : $"'{c}'")}: use printable ASCII only");
            }
        }
        string trimmed = parameters.Trim();
        if (trimmed.Length > 0)
        {
            _parts.Add(trimmed);
        }
        return this;
    }

    public override string ToString() => string.Join(' ', _parts);

    /// <summary>The NUL-terminated bytes, checked against <paramref name="maxLength"/> (the kernel's cmdline_size).</summary>
    public byte[] ToBytes(int maxLength)
    {
        string text = ToString();
        if (text.Length > maxLength)
        {
            throw new BootException(BootError.CmdlineInvalid,
                $"kernel command line is {text.Length} bytes; this kernel accepts at most {maxLength}. Shorten it.");
        }
        return Encoding.ASCII.GetBytes(text + "\0");
    }
}
