using KataSharp.Linux.Interop;

namespace KataSharp.Linux;

/// <summary>Turns an errno into "ENOENT (No such file or directory)" for error messages.</summary>
public static class ErrnoText
{
    public static string Describe(int errno)
    {
        string name = Enum.IsDefined((Errno)errno) ? ((Errno)errno).ToString() : $"errno {errno}";
        return $"{name} ({Libc.StrError(errno)})";
    }
}
