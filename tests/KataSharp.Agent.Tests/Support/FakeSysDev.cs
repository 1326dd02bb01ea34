namespace KataSharp.Agent.Tests.Support;

/// <summary>
/// A stand-in for the guest's /sys/dev: char/MAJ:MIN and block/MAJ:MIN directories (block ones with a
/// uevent naming the device), so a test decides which device numbers "the guest" has. Holds the
/// runtime-spec default devices (null, zero, full, random, urandom, tty) unless told otherwise.
/// Disposing removes it.
/// </summary>
public sealed class FakeSysDev : IDisposable
{
    public static readonly (uint Major, uint Minor)[] DefaultCharDevices = [(1, 3), (1, 5), (1, 7), (1, 8), (1, 9), (5, 0)];

    public FakeSysDev(bool withDefaults = true)
    {
        Directory.CreateDirectory(Path.Combine(Dir, "char"));
        Directory.CreateDirectory(Path.Combine(Dir, "block"));
        foreach ((uint major, uint minor) in withDefaults ? DefaultCharDevices : [])
        {
            AddChar(major, minor);
        }
    }

    /// <summary>Under /var/tmp: the engine tests' ks-spawn and the test host see it (not a private /tmp).</summary>
    public string Dir { get; } = Path.Combine("/var/tmp", $"ks-sysdev-{Guid.NewGuid():N}"[..22]);

    public FakeSysDev AddChar(uint major, uint minor)
    {
        Directory.CreateDirectory(Path.Combine(Dir, "char", $"{major}:{minor}"));
        return this;
    }

    public FakeSysDev AddBlock(uint major, uint minor, string devName)
    {
        string entry = Path.Combine(Dir, "block", $"{major}:{minor}");
        Directory.CreateDirectory(entry);
        File.WriteAllText(Path.Combine(entry, "uevent"), $"MAJOR={major}\nMINOR={minor}\nDEVNAME={devName}\nDEVTYPE=disk\n");
        return this;
    }

    public void Dispose() => Directory.Delete(Dir, recursive: true);
}
