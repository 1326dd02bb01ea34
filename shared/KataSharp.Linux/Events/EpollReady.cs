namespace KataSharp.Linux.Events;

/// <summary>One ready registration returned by <see cref="Epoll.Wait"/>.</summary>
public readonly record struct EpollReady(ulong Token, EpollEvents Events);
