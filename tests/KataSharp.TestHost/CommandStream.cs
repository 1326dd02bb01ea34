namespace KataSharp.TestHost;

/// <summary>Which of a command's outputs a piece of live output came from.</summary>
public enum CommandStream
{
    Stdout,
    Stderr,
}
