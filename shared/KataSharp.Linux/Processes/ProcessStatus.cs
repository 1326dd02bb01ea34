using System.Globalization;

namespace KataSharp.Linux.Processes;

/// <summary>
/// A process's resident memory, thread count and open descriptors, from /proc/PID/status and /proc/PID/fd (the kernel's
/// numbers, not the process's word: a confined VMM cannot change what is read here). Null where the process is gone or
/// its files cannot be read.
/// </summary>
public sealed record ProcessStatus(long ResidentBytes, int Threads, int? OpenDescriptors)
{
    public static ProcessStatus? Read(int pid, bool countDescriptors)
    {
        string directory = $"/proc/{pid.ToString(CultureInfo.InvariantCulture)}";
        try
        {
            long rss = -1;
            int threads = -1;
            foreach (string line in File.ReadLines(Path.Combine(directory, "status")))
            {
                if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
                {
                    rss = long.Parse(line["VmRSS:".Length..].Trim().Split(' ')[0], CultureInfo.InvariantCulture) * 1024; // "VmRSS:  1234 kB"
                }
                else if (line.StartsWith("Threads:", StringComparison.Ordinal))
                {
                    threads = int.Parse(line["Threads:".Length..].Trim(), CultureInfo.InvariantCulture);
                }
            }
            if (rss < 0 || threads < 0)
            {
                return null; // a zombie has no VmRSS
            }
            int? descriptors = countDescriptors ? Directory.EnumerateFileSystemEntries(Path.Combine(directory, "fd")).Count() : null;
            return new ProcessStatus(rss, threads, descriptors);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException or OverflowException)
        {
            return null;
        }
    }

    /// <summary>The first child of <paramref name="pid"/> (/proc/PID/task/PID/children): the VMM under its unshare(1).</summary>
    public static int? FirstChild(int pid)
    {
        string id = pid.ToString(CultureInfo.InvariantCulture);
        try
        {
            string children = File.ReadAllText($"/proc/{id}/task/{id}/children").Trim();
            return children.Length > 0 && int.TryParse(children.Split(' ')[0], NumberStyles.None, CultureInfo.InvariantCulture, out int child) ? child : null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }
}
