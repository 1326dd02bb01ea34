namespace KataSharp.Linux.Network;

/// <summary>TUNSETOFFLOAD flags (TUN_F_*): what the reader of a tap fd accepts in frames it receives.</summary>
[Flags]
public enum TapOffloads : uint
{
    None = 0,
    Checksum = 0x01,
    Tso4 = 0x02,
    Tso6 = 0x04,
    TsoEcn = 0x08,
    Ufo = 0x10,
}
