namespace KataSharp.Vmm.Boot;

/// <summary>e820 range types (only RAM is reported; everything unlisted is a hole).</summary>
public enum E820Type : uint
{
    Ram = 1,
    Reserved = 2,
}
