using System.Buffers.Binary;
using KataSharp.Vmm.Boot;

namespace KataSharp.Vmm.Tests.Support;

/// <summary>Builds bzImage-shaped files: setup sectors with a boot-protocol header, then a payload.</summary>
public static class SyntheticBzImage
{
    public static byte[] Build(byte[] payload, byte setupSects = 4, ushort version = 0x020F, ushort xloadflags = SetupHeader.XlfKernel64,
        byte loadflags = SetupHeader.LoadedHigh, uint initSize = 0x20_0000, uint initrdAddrMax = 0x7FFF_FFFF, uint cmdlineSize = 2047)
    {
        int setupBytes = ((setupSects == 0 ? 4 : setupSects) + 1) * 512;
        var file = new byte[setupBytes + payload.Length];
        Span<byte> f = file;
        f[BootParamsLayout.SetupSects] = setupSects;
        BinaryPrimitives.WriteUInt16LittleEndian(f[BootParamsLayout.BootFlag..], SetupHeader.BootFlagMagic);
        f[BootParamsLayout.Jump] = 0xEB;                                     // jmp short
        f[BootParamsLayout.Jump + 1] = (byte)(BootParamsLayout.SetupHeaderEnd - (BootParamsLayout.Jump + 2));
        BinaryPrimitives.WriteUInt32LittleEndian(f[BootParamsLayout.Header..], SetupHeader.HeaderMagic);
        BinaryPrimitives.WriteUInt16LittleEndian(f[BootParamsLayout.Version..], version);
        f[BootParamsLayout.LoadFlags] = loadflags;
        BinaryPrimitives.WriteUInt32LittleEndian(f[BootParamsLayout.InitrdAddrMax..], initrdAddrMax);
        BinaryPrimitives.WriteUInt16LittleEndian(f[BootParamsLayout.XLoadFlags..], xloadflags);
        BinaryPrimitives.WriteUInt32LittleEndian(f[BootParamsLayout.CmdlineSize..], cmdlineSize);
        BinaryPrimitives.WriteUInt32LittleEndian(f[BootParamsLayout.InitSize..], initSize);
        payload.CopyTo(file, setupBytes);
        return file;
    }
}
