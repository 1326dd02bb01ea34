namespace KataSharp.Linux.Events;

/// <summary>One inotify event: the watch it belongs to, its IN_* mask, and the name inside a watched directory.</summary>
public readonly record struct InotifyEvent(int Watch, uint Mask, string Name);
