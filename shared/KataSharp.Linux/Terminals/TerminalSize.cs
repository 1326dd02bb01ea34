namespace KataSharp.Linux.Terminals;

/// <summary>A terminal's size in character cells (struct winsize without the pixel fields).</summary>
public readonly record struct TerminalSize(ushort Rows, ushort Columns);
