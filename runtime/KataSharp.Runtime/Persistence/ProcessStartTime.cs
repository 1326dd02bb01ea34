namespace KataSharp.Runtime.Persistence;

/// <summary>
/// A process's start time in clock ticks since boot (/proc/&lt;pid&gt;/stat field 22). Together
/// with the pid it identifies a process across pid reuse: a recycled pid has another start time.
/// </summary>
public static class ProcessStartTime
{
    /// <summary>The start time, or null when no such process exists.</summary>
    public static ulong? Of(int pid) => Read(pid)?.StartTime;

    /// <summary>
    /// True when <paramref name="pid"/> is still the process that started at <paramref name="startTime"/>
    /// and has not died: a killed shim whose parent has not reaped it yet is a zombie, not alive.
    /// </summary>
    public static bool IsAlive(int pid, ulong startTime) =>
        pid > 0 && Read(pid) is { } stat && stat.StartTime == startTime && stat.State is not ('Z' or 'X');

    private static (char State, ulong StartTime)? Read(int pid)
    {
        string stat;
        try
        {
            stat = File.ReadAllText($"/proc/{pid}/stat");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
        // The command name (field 2) may contain spaces and parentheses: count fields after the last ')'.
        string[] fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        const int StateField = 3 - 3, StartTimeField = 22 - 3;
        return fields.Length > StartTimeField && ulong.TryParse(fields[StartTimeField], out ulong ticks)
            ? (fields[StateField][0], ticks)
            : null;
    }
}
