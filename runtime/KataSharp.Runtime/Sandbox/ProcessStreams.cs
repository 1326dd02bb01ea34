namespace KataSharp.Runtime.Sandbox;

/// <summary>
/// The guest side of a process's stdio: write to <see cref="Stdin"/>, read <see cref="Stdout"/> and
/// <see cref="Stderr"/> to their end. Null where the stream was not asked for. Disposing
/// <see cref="Stdin"/> closes the process's stdin (it reads end of file).
/// </summary>
public sealed record ProcessStreams(Stream? Stdin, Stream? Stdout, Stream? Stderr);
