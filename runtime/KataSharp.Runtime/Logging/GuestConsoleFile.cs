using System.Globalization;
using System.Text;

namespace KataSharp.Runtime.Logging;

/// <summary>
/// The guest's serial console as a file in the sandbox's state directory (<see cref="FileName"/>), for
/// an operator who wants every console line: the shim log's copy is rate-limited and, once the agent's
/// own log stream is up, debug-level. One line per console line, prefixed with the host's time, guest
/// text escaped as in the log (<see cref="UntrustedText"/>), so a guest cannot write terminal escape
/// sequences into it or split a line. Bounded on disk: when a line would take the file past its cap it
/// becomes <see cref="RotatedFileName"/> (replacing the previous one) and a new file starts, so the two
/// hold at most twice the cap. The name is fixed; nothing the guest sends becomes part of a path.
/// <para>
/// The caller is a vCPU thread (the UART), so <see cref="TryAppend"/> only copies the line into a queue
/// bounded by bytes and returns; one background thread formats and writes. A line that does not fit the
/// queue, or that the file system refuses, is dropped and counted (<see cref="DropCounters.DroppedConsoleFileLines"/>),
/// and the file says how many went missing where the gap is.
/// </para>
/// </summary>
public sealed class GuestConsoleFile : IDisposable
{
    public const string FileName = "console.log";
    public const string RotatedFileName = FileName + ".1";

    /// <summary>Queued bytes of console lines not yet written: hundreds of lines; a bounded cost for a stalled disk.</summary>
    public const int DefaultQueueBytes = 256 * 1024;

    /// <summary>What a queued line costs beyond its bytes, so a flood of empty lines is bounded too.</summary>
    private const int RecordOverheadBytes = 64;

    /// <summary>
    /// An escaped byte takes at most this many bytes of UTF-8 (a control byte becomes <c>\xHH</c>); a file cap
    /// must hold one whole line at this ratio, so a file never exceeds its cap.
    /// </summary>
    private const int EscapedBytesPerByte = 4;

    /// <summary>The time prefix, the cut note and the newline, generously.</summary>
    private const int LineDecorationBytes = 128;

    private static readonly TimeSpan CloseTimeout = TimeSpan.FromSeconds(2);

    private readonly string _directory;
    private readonly long _maxFileBytes;
    private readonly int _maxLineBytes;
    private readonly DropCounters _drops;
    private readonly BoundedWriterThread<Record> _thread;
    private FileStream? _file;
    private long _fileBytes;
    private long _unreported;
    private bool _abandoned;

    /// <param name="directory">The sandbox's state directory (the shim's, never a guest-supplied path).</param>
    /// <param name="maxFileBytes">The cap of each of the two files; at least <see cref="MinimumFileBytes"/> of <paramref name="maxLineBytes"/>.</param>
    /// <param name="maxLineBytes">The longest console line handed in (the splitter's bound); longer input is cut here too.</param>
    public GuestConsoleFile(string directory, long maxFileBytes, int maxLineBytes, DropCounters drops, int queueBytes = DefaultQueueBytes)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxLineBytes, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxFileBytes, MinimumFileBytes(maxLineBytes));
        ArgumentOutOfRangeException.ThrowIfLessThan(queueBytes, maxLineBytes + RecordOverheadBytes);
        _directory = directory;
        _maxFileBytes = maxFileBytes;
        _maxLineBytes = maxLineBytes;
        _drops = drops;
        _thread = new BoundedWriterThread<Record>("katasharp-console", queueBytes, record =>
        {
            if (Volatile.Read(ref _abandoned))
            {
                Dropped(); // the sandbox stopped without waiting for us: its directory is being removed
                return;
            }
            ReportDrops(record.Time);
            if (!Write(Format(record)))
            {
                Dropped();
            }
        }, () =>
        {
            if (!Volatile.Read(ref _abandoned))
            {
                ReportDrops(DateTime.UtcNow);
            }
        });
        try
        {
            // Now, not at the first line: the file is there from boot for an operator to tail, even for a quiet guest.
            // Before the writer thread exists, so it is the writer's from then on.
            _file = Open();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // The first write tries again, and counts its line dropped if that fails too.
        }
    }

    public string FilePath => Path.Combine(_directory, FileName);

    public string RotatedFilePath => Path.Combine(_directory, RotatedFileName);

    /// <summary>The smallest file cap that holds one line of <paramref name="maxLineBytes"/> however it escapes.</summary>
    public static long MinimumFileBytes(int maxLineBytes) => (long)maxLineBytes * EscapedBytesPerByte + LineDecorationBytes;

    /// <summary>
    /// Queues one console line (without its newline; <paramref name="truncated"/> when the splitter cut it).
    /// Never blocks; false when it was dropped (queue full, or the file closed).
    /// </summary>
    public bool TryAppend(ReadOnlySpan<byte> line, bool truncated)
    {
        if (line.Length > _maxLineBytes)
        {
            line = line[.._maxLineBytes];
            truncated = true;
        }
        if (_thread.TryEnqueue(new Record(DateTime.UtcNow, line.ToArray(), truncated), line.Length + RecordOverheadBytes))
        {
            return true;
        }
        Dropped();
        return false;
    }

    /// <summary>Waits until every line queued before the call is in the file (or dropped); false on timeout.</summary>
    public bool Flush(TimeSpan timeout) => _thread.Flush(timeout);

    /// <summary>
    /// Stops taking lines, writes what is queued (waiting at most 2 s: a stuck file system must not hold up the
    /// sandbox's stop) and closes the file. The files stay: they go with the state directory.
    /// </summary>
    public void Dispose()
    {
        if (_thread.Close(CloseTimeout))
        {
            // The writer is done (or never ran): the file is this thread's to close.
            CloseFile();
        }
        else
        {
            // What is still queued is dropped, not written: a writer that went on after the stop would create and
            // rotate files while the state directory is removed ("directory not empty" left it behind).
            Volatile.Write(ref _abandoned, true);
        }
    }

    private void Dropped()
    {
        _drops.CountDroppedConsoleFileLine();
        Interlocked.Increment(ref _unreported);
    }

    /// <summary>Where lines went missing, the file says so (the count is also in the sandbox's drop counters).</summary>
    private void ReportDrops(DateTime time)
    {
        long dropped = Interlocked.Exchange(ref _unreported, 0);
        if (dropped > 0)
        {
            Write(Encoding.UTF8.GetBytes($"{Stamp(time)} [katasharp: {dropped} console lines missing here: the console file's queue was full or its writes failed]\n"));
        }
    }

    private byte[] Format(Record record)
    {
        var line = new StringBuilder(32 + record.Line.Length);
        line.Append(Stamp(record.Time)).Append(' ');
        line.Append(UntrustedText.Escape(record.Line, _maxLineBytes * EscapedBytesPerByte));
        if (record.Truncated)
        {
            line.Append(" …[cut at ").Append(_maxLineBytes.ToString(CultureInfo.InvariantCulture)).Append(" bytes]");
        }
        line.Append('\n');
        return Encoding.UTF8.GetBytes(line.ToString());
    }

    private static string Stamp(DateTime time) => time.ToString("yyyy-MM-ddTHH:mm:ss.fffZ", CultureInfo.InvariantCulture);

    /// <summary>Appends <paramref name="bytes"/>, rotating first when they would take the file past its cap. False when it failed.</summary>
    private bool Write(byte[] bytes)
    {
        try
        {
            FileStream file = _file ??= Open();
            if (_fileBytes > 0 && _fileBytes + bytes.Length > _maxFileBytes)
            {
                CloseFile();
                File.Move(FilePath, RotatedFilePath, overwrite: true);
                file = _file = Open();
            }
            file.Write(bytes);
            _fileBytes += bytes.Length;
            return true;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // ENOSPC on /run, the state directory removed under us: this line is lost, the next one tries again.
            CloseFile();
            return false;
        }
    }

    /// <summary>Never throws: the stream is unbuffered, so closing has nothing left to write that could fail.</summary>
    private void CloseFile()
    {
        _file?.Dispose();
        _file = null;
    }

    /// <summary>
    /// Appends to what is there (a file from earlier in this sandbox's life keeps its lines and counts toward the cap).
    /// Owner-only: the console can carry what the guest would not show anyone else. Unbuffered: each line is one
    /// write(2), so a reader (tail -f) sees it at once and whole, and a failed write cannot resurface at close.
    /// </summary>
    private FileStream Open()
    {
        var options = new FileStreamOptions { Mode = FileMode.Append, Access = FileAccess.Write, Share = FileShare.Read | FileShare.Delete, BufferSize = 0 };
        if (OperatingSystem.IsLinux())
        {
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }
        var file = new FileStream(FilePath, options);
        _fileBytes = file.CanSeek ? file.Length : 0; // a FIFO (tests) has no length
        return file;
    }

    private readonly record struct Record(DateTime Time, byte[] Line, bool Truncated);
}
