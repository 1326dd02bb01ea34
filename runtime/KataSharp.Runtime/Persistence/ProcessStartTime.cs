namespace KataSharp.Runtime.Persistence;

/// <summary>
/// A process's start time in clock ticks since boot (/proc/&lt;pid&gt;/stat field 22). Together
/// with the pid it identifies a process across pid reuse: a recycled pid has another start time.
/// </summary>
public static class ProcessStartTime
{
    /// <summary>The start time, or null when no such process exists.</summary>
    public static ulong? Of(int pid)
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
        const int StartTimeField = 22 - 3;
        return fields.Length > StartTimeField && ulong.TryParse(fields[StartTimeField], out ulong ticks) ? ticks : null;
    }

    /// <summary>True when <paramref name="pid"/> still runs and is the process that started at <paramref name="startTime"/>.</summary>
    public static bool IsSameProcess(int pid, ulong startTime) => pid > 0 && Of(pid) == startTime;
}
