using KataSharp.Agent.Protocol.DebugConsoleWire;
using KataSharp.Runtime.Logging;

namespace KataSharp.Cli.DebugShell;

/// <summary>
/// The host end of one debug-console session (the wire: <see cref="DebugConsoleFrame"/>): sends the open frame, then
/// the local input as input frames (its end as an input-end frame) and resizes as they come, and copies the guest's
/// output and error frames to the local stdout and stderr byte for byte, uninterpreted. The guest is not trusted: its
/// frames are bounded by the decoder, anything but output, error, exit or refusal ends the session, and only a
/// refusal's text is printed by us, escaped. The result is the guest command's exit code, or 1 when there is none.
/// </summary>
public sealed class DebugConsoleClient(Stream connection, TextWriter messages)
{
    /// <summary>How much of a guest's refusal text is printed.</summary>
    private const int MaxRefusalChars = 1024;

    private readonly SemaphoreSlim _sending = new(1, 1);

    public async Task<int> RunAsync(DebugConsoleOpen open, Stream input, Stream output, Stream error, CancellationToken cancellationToken)
    {
        await SendAsync(open.Encode(), cancellationToken);
        using var inputDone = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        // Input is copied in the background: the session ends with the guest's exit, not with the end of our input.
        Task copyingInput = Task.Run(() => CopyInputAsync(input, inputDone.Token), CancellationToken.None);
        try
        {
            return await ReceiveAsync(output, error, cancellationToken);
        }
        finally
        {
            inputDone.Cancel();
            // A read of a terminal cannot be cancelled: the task is left to the process's exit, its errors unobserved.
            _ = copyingInput.ContinueWith(t => t.Exception, TaskScheduler.Default);
        }
    }

    /// <summary>Tells the guest the local terminal's new size.</summary>
    public Task ResizeAsync(ushort rows, ushort columns, CancellationToken cancellationToken) =>
        SendAsync(DebugConsoleFrame.Resize(rows, columns), cancellationToken);

    private async Task<int> ReceiveAsync(Stream output, Stream error, CancellationToken cancellationToken)
    {
        var decoder = new DebugConsoleFrameDecoder();
        while (true)
        {
            while (decoder.TryTake(out DebugConsoleFrame frame))
            {
                switch (frame.Type)
                {
                    case DebugConsoleFrameType.Output:
                        await output.WriteAsync(frame.Payload, cancellationToken);
                        await output.FlushAsync(cancellationToken);
                        break;
                    case DebugConsoleFrameType.ErrorOutput:
                        await error.WriteAsync(frame.Payload, cancellationToken);
                        await error.FlushAsync(cancellationToken);
                        break;
                    case DebugConsoleFrameType.Exit:
                        return ExitStatus(frame.ReadExitCode());
                    case DebugConsoleFrameType.Refused:
                        messages.WriteLine($"katasharp exec: the guest refused: {UntrustedText.Escape(frame.Payload.Span, MaxRefusalChars)}");
                        return 1;
                    default:
                        throw new InvalidDataException($"the guest sent a {frame.Type} frame, which only the host sends");
                }
            }
            int n = await connection.ReadAsync(decoder.Free, cancellationToken);
            if (n == 0)
            {
                messages.WriteLine("katasharp exec: the guest closed the debug console without an exit status (the VM stopped, or its agent did)");
                return 1;
            }
            decoder.Advance(n);
        }
    }

    /// <summary>The guest's code as a process exit status: 0-255 as it is (128 + signal for a killed shell), anything else 1.</summary>
    public static int ExitStatus(int code) => code is >= 0 and <= 255 ? code : 1;

    private async Task CopyInputAsync(Stream input, CancellationToken cancellationToken)
    {
        byte[] buffer = new byte[4096];
        int n;
        while ((n = await input.ReadAsync(buffer, cancellationToken)) > 0)
        {
            await SendAsync(DebugConsoleFrame.Encode(DebugConsoleFrameType.Input, buffer.AsSpan(0, n)), cancellationToken);
        }
        await SendAsync(DebugConsoleFrame.Encode(DebugConsoleFrameType.InputEnd, []), cancellationToken);
    }

    /// <summary>One whole frame at a time: input and resizes share the connection.</summary>
    private async Task SendAsync(byte[] frame, CancellationToken cancellationToken)
    {
        await _sending.WaitAsync(cancellationToken);
        try
        {
            await connection.WriteAsync(frame, cancellationToken);
            await connection.FlushAsync(cancellationToken);
        }
        finally
        {
            _sending.Release();
        }
    }
}
