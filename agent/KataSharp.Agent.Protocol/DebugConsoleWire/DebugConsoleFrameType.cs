namespace KataSharp.Agent.Protocol.DebugConsoleWire;

/// <summary>What a debug-console frame carries (<see cref="DebugConsoleFrame"/> has the layout).</summary>
public enum DebugConsoleFrameType : byte
{
    // Host to guest.

    /// <summary>The first frame, exactly once: <see cref="DebugConsoleOpen"/>.</summary>
    Open = 1,

    /// <summary>Bytes for the shell's stdin (its terminal's input with a terminal).</summary>
    Input = 2,

    /// <summary>No more input (empty): stdin is closed, or a terminal gets its end-of-file character.</summary>
    InputEnd = 3,

    /// <summary>The terminal's new size: rows and columns, two big-endian 16-bit numbers.</summary>
    Resize = 4,

    // Guest to host.

    /// <summary>The shell's stdout (everything, with a terminal).</summary>
    Output = 16,

    /// <summary>The shell's stderr (without a terminal only).</summary>
    ErrorOutput = 17,

    /// <summary>The last frame: the shell's exit code, a big-endian 32-bit number (128 + signal when killed).</summary>
    Exit = 18,

    /// <summary>The last frame instead of <see cref="Exit"/>: why no shell runs (UTF-8 text, e.g. the image has none).</summary>
    Refused = 19,
}
