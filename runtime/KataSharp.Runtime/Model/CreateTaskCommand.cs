namespace KataSharp.Runtime.Model;

/// <summary>A container to create, as containerd's Create asks for it.</summary>
/// <param name="ConfigPath">runtimeoptions.v1.Options.config_path when containerd sent one.</param>
public sealed record CreateTaskCommand(string Id, string Bundle, IReadOnlyList<RootfsMount> Rootfs, ProcessStdio Stdio, string? ConfigPath);
