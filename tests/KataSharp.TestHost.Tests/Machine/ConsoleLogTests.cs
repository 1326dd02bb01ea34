using KataSharp.TestHost.Machine;
using Xunit;

namespace KataSharp.TestHost.Tests.Machine;

public sealed class ConsoleLogTests : IDisposable
{
    private readonly string path = Path.Combine(Path.GetTempPath(), $"ks-console-{Guid.NewGuid():N}.log");

    [Fact]
    public void ReturnsTheLastLinesWithSerialLineEndingsNormalized()
    {
        File.WriteAllText(path, string.Concat(Enumerable.Range(1, 100).Select(i => $"line {i}\r\n")));
        Assert.Equal("line 98\nline 99\nline 100", ConsoleLog.Tail(path, 3));
        Assert.Equal(100, ConsoleLog.Tail(path, 500).Split('\n').Length);
    }

    [Fact]
    public void ReadsOnlyTheEndOfAHugeLog()
    {
        using (var w = new StreamWriter(path))
        {
            for (int i = 0; i < 200_000; i++)
            {
                w.WriteLine($"boot message {i}");
            }
        }
        Assert.Equal("boot message 199999", ConsoleLog.Tail(path, 1));
    }

    [Fact]
    public void MissingLogSaysSo()
    {
        Assert.Contains("no console log", ConsoleLog.Tail(path, 5));
    }

    public void Dispose() => File.Delete(path);
}
