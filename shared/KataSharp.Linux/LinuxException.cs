namespace KataSharp.Linux;

/// <summary>A failed syscall or ioctl: names the call and carries errno, so a caller can act on it.</summary>
public sealed class LinuxException : Exception
{
    public LinuxException(string call, int errno, string? detail = null)
        : base(Format(call, errno, detail))
    {
        Call = call;
        Errno = (Errno)errno;
    }

    /// <summary>The C call that failed, e.g. <c>ioctl(KVM_CREATE_VM)</c>.</summary>
    public string Call { get; }

    public Errno Errno { get; }

    private static string Format(string call, int errno, string? detail)
    {
        string text = $"{call} failed: {ErrnoText.Describe(errno)}";
        return detail is null ? text : $"{text} ({detail})";
    }
}
