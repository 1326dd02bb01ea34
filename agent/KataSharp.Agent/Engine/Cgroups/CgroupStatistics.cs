namespace KataSharp.Agent.Engine.Cgroups;

/// <summary>Numbers read from a cgroup v2 directory; a missing file (controller not enabled) reads as zero/empty.</summary>
public sealed record CgroupStatistics
{
    public IReadOnlyDictionary<string, ulong> Cpu { get; init; } = new Dictionary<string, ulong>();
    public ulong MemoryCurrent { get; init; }
    /// <summary>0 = no limit.</summary>
    public ulong MemoryMax { get; init; }
    public IReadOnlyDictionary<string, ulong> MemoryStat { get; init; } = new Dictionary<string, ulong>();
    public IReadOnlyDictionary<string, ulong> MemoryEvents { get; init; } = new Dictionary<string, ulong>();
    public ulong PidsCurrent { get; init; }
    /// <summary>0 = no limit.</summary>
    public ulong PidsMax { get; init; }
    public IReadOnlyList<(uint Major, uint Minor, IReadOnlyDictionary<string, ulong> Values)> Io { get; init; } = [];

    public static CgroupStatistics Read(string dir) => new()
    {
        Cpu = KeyValues(dir, "cpu.stat"),
        MemoryCurrent = Number(dir, "memory.current"),
        MemoryMax = Number(dir, "memory.max"),
        MemoryStat = KeyValues(dir, "memory.stat"),
        MemoryEvents = KeyValues(dir, "memory.events"),
        PidsCurrent = Number(dir, "pids.current"),
        PidsMax = Number(dir, "pids.max"),
        Io = IoStat(dir),
    };

    /// <summary>"key value" lines (cpu.stat, memory.stat, memory.events).</summary>
    public static Dictionary<string, ulong> KeyValues(string dir, string file)
    {
        var values = new Dictionary<string, ulong>();
        string path = Path.Combine(dir, file);
        if (!File.Exists(path))
        {
            return values;
        }
        foreach (string line in File.ReadAllLines(path))
        {
            string[] parts = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (parts.Length == 2 && ulong.TryParse(parts[1], out ulong v))
            {
                values[parts[0]] = v;
            }
        }
        return values;
    }

    private static ulong Number(string dir, string file)
    {
        string path = Path.Combine(dir, file);
        if (!File.Exists(path))
        {
            return 0;
        }
        string text = File.ReadAllText(path).Trim();
        return text == "max" ? 0 : ulong.TryParse(text, out ulong v) ? v : 0;
    }

    private static List<(uint, uint, IReadOnlyDictionary<string, ulong>)> IoStat(string dir)
    {
        var devices = new List<(uint, uint, IReadOnlyDictionary<string, ulong>)>();
        string path = Path.Combine(dir, "io.stat");
        if (!File.Exists(path))
        {
            return devices;
        }
        foreach (string line in File.ReadAllLines(path))
        {
            string[] parts = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            string[] dev = parts.Length > 0 ? parts[0].Split(':') : [];
            if (dev.Length != 2 || !uint.TryParse(dev[0], out uint major) || !uint.TryParse(dev[1], out uint minor))
            {
                continue;
            }
            var values = new Dictionary<string, ulong>();
            foreach (string kv in parts.Skip(1))
            {
                string[] pair = kv.Split('=');
                if (pair.Length == 2 && ulong.TryParse(pair[1], out ulong v))
                {
                    values[pair[0]] = v;
                }
            }
            devices.Add((major, minor, values));
        }
        return devices;
    }
}
