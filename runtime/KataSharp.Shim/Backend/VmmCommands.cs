using System.Collections.Concurrent;
using KataSharp.Confinement;
using KataSharp.Linux;
using KataSharp.Linux.Files;
using KataSharp.Linux.Threading;
using KataSharp.Runtime.Logging;
using KataSharp.Runtime.Model;

namespace KataSharp.Shim.Backend;

/// <summary>
/// The shim's commands to its VMM process (<see cref="ConfinedGuestMachine"/>): one at a time, each numbered, each answered
/// only by the reply that carries its number. The VMM handles guest input, so an escape from the device model controls
/// what comes back: a reply that is late (its command timed out) or carries any number but the waiting command's answers
/// nothing; replies nobody waits for are dropped past <see cref="MaxQueuedReplies"/>; each that answers nothing is counted
/// (<see cref="DropCounters.StrayVmmReplies"/>); no reply makes a command
/// wait past its deadline; once the process is gone a command fails at once. (A VMM that lies in the right reply is not
/// caught here: what a reply says is checked where it is used, e.g. <see cref="VmmMetricsFilter"/>.)
/// </summary>
public sealed class VmmCommands(VmmChannel channel, DropCounters drops)
{
    /// <summary>Replies held for the command being answered. One is expected; a few more are late replies to commands
    /// that timed out (each is dropped by number when it is read); more than that only a misbehaving VMM sends.</summary>
    public const int MaxQueuedReplies = 4;

    private readonly Lock _command = new();
    private readonly BlockingCollection<VmmMessage> _replies = new(MaxQueuedReplies);
    // Never disposed: the channel's reader may report the end after the machine is disposed (it has no timer to free).
    private readonly CancellationTokenSource _gone = new();
    private string _goneReason = "";
    private long _lastId;

    /// <summary>From the channel's reader: a "reply" the VMM sent.</summary>
    public void Deliver(VmmMessage reply)
    {
        if (!_replies.TryAdd(reply))
        {
            drops.CountStrayVmmReply();
        }
    }

    /// <summary>The VMM process ended (or will answer no more): the command waiting fails now, and every later one at once.</summary>
    public void Gone(string reason)
    {
        Volatile.Write(ref _goneReason, reason);
        _gone.Cancel();
    }

    /// <summary>Sends <paramref name="message"/> (with its descriptor) and returns the VMM's answer to it.</summary>
    /// <param name="what">What the command does, for errors: "cannot {what}: ...".</param>
    /// <param name="wait">How long the VMM has to answer.</param>
    /// <param name="queue">Whether to wait (without bound) for a command in progress; if not, a busy VMM fails the call
    /// after <paramref name="wait"/> (a metrics read must not hold a pool thread behind a media change).</param>
    /// <exception cref="RuntimeException">Unavailable: the VMM is busy, gone or did not answer in time; Internal: it answered
    /// with an error (escaped and bounded).</exception>
    public VmmMessage Send(VmmMessage message, FileDescriptor? descriptor, string what, TimeSpan wait, bool queue)
    {
        if (!_command.TryEnter(queue ? Timeout.InfiniteTimeSpan : wait))
        {
            throw new RuntimeException(RuntimeError.Unavailable, $"cannot {what}: the VMM is busy with another command");
        }
        try
        {
            ThrowIfGone(what);
            long id = ++_lastId; // under the command lock
            // Replies to earlier commands that came after those gave up.
            while (_replies.TryTake(out _))
            {
                drops.CountStrayVmmReply();
            }
            try
            {
                channel.Send(message with { Id = id }, descriptor);
            }
            catch (LinuxException e)
            {
                throw new RuntimeException(RuntimeError.Unavailable, $"cannot {what}: the VMM process is gone ({e.Message})", e);
            }
            VmmMessage reply = AwaitReply(id, what, wait);
            if (reply.Error is { } error)
            {
                throw new RuntimeException(RuntimeError.Internal, $"cannot {what}: {UntrustedText.Escape(error, UntrustedText.DefaultMaxLength)}");
            }
            return reply;
        }
        finally
        {
            _command.Exit();
        }
    }

    /// <summary>The reply numbered <paramref name="id"/>, by one deadline however many others come first.</summary>
    private VmmMessage AwaitReply(long id, string what, TimeSpan wait)
    {
        var deadline = Deadline.After(wait);
        while (true)
        {
            TimeSpan left = deadline.Remaining;
            VmmMessage? reply = null;
            try
            {
                if (left <= TimeSpan.Zero || !_replies.TryTake(out reply, (int)Math.Ceiling(left.TotalMilliseconds), _gone.Token))
                {
                    throw new RuntimeException(RuntimeError.Unavailable, $"cannot {what}: the VMM did not answer within {wait.TotalSeconds:0.#} s");
                }
            }
            catch (OperationCanceledException)
            {
                throw GoneError(what);
            }
            if (reply.Id == id)
            {
                return reply;
            }
            drops.CountStrayVmmReply();
        }
    }

    private void ThrowIfGone(string what)
    {
        if (_gone.IsCancellationRequested)
        {
            throw GoneError(what);
        }
    }

    private RuntimeException GoneError(string what) =>
        new(RuntimeError.Unavailable, $"cannot {what}: the VMM process is gone ({Volatile.Read(ref _goneReason)})");
}
