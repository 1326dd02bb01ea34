namespace KataSharp.TestHost;

/// <summary>A test host failure. The message names the problem, what to do, and (when a machine
/// was involved) ends with the tail of its console.</summary>
public sealed class TestHostException : Exception
{
    public TestHostException(TestHostError error, string message, Exception? inner = null)
        : base(message, inner)
    {
        Error = error;
    }

    public TestHostError Error { get; }
}
