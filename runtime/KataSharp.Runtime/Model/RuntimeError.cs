namespace KataSharp.Runtime.Model;

/// <summary>Why a runtime operation failed, in containerd's error classes (errdefs).</summary>
public enum RuntimeError
{
    NotFound,
    AlreadyExists,
    FailedPrecondition,
    InvalidArgument,
    NotImplemented,
    Unavailable,
    DeadlineExceeded,
    Internal,
}
