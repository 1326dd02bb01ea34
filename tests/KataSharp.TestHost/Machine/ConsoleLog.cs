using System.Text;

namespace KataSharp.TestHost.Machine;

/// <summary>Reads the last lines of a machine's console log (it may be written to meanwhile).</summary>
internal static class ConsoleLog
{
    /// <summary>Enough for 60 long lines; a tail never reads the whole boot log.</summary>
    private const int MaxBytes = 64 * 1024;

    public static string Tail(string path, int lines)
    {
        if (lines <= 0)
        {
            return "";
        }
        byte[] bytes;
        try
        {
            using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            long start = Math.Max(0, stream.Length - MaxBytes);
            stream.Seek(start, SeekOrigin.Begin);
            bytes = new byte[stream.Length - start];
            stream.ReadExactly(bytes);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            return $"(no console log at {path})";
        }
        string text = Encoding.UTF8.GetString(bytes).Replace("\r\n", "\n").Replace('\r', '\n');
        string[] all = text.TrimEnd('\n').Split('\n');
        return string.Join('\n', all.Length <= lines ? all : all[^lines..]);
    }
}
