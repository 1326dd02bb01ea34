using System.Runtime.InteropServices;

namespace KataSharp.Linux;

/// <summary>
/// Turns an errno into "ENOENT (No such file or directory)" for error messages. The text is .NET's
/// strerror helper (it avoids the GNU/XSI strerror_r ABI split), called here rather than through
/// Interop/, which builds its exceptions from this folder's errno vocabulary and so sits above it.
/// </summary>
public static class ErrnoText
{
    public static string Describe(int errno)
    {
        string name = Enum.IsDefined((Errno)errno) ? ((Errno)errno).ToString() : $"errno {errno}";
        return $"{name} ({Marshal.GetPInvokeErrorMessage(errno)})";
    }
}
