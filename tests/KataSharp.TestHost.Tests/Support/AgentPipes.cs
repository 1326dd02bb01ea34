using System.IO.Pipes;
using System.Text;
using KataSharp.TestHost.Protocol;

namespace KataSharp.TestHost.Tests.Support;

/// <summary>
/// An <see cref="AgentConnection"/> over in-memory pipes, with the agent's ends for a test to
/// play the agent by hand: <see cref="AgentSays"/> writes its lines, <see cref="FromHost"/> reads
/// what the host sent. Losing the channel reports MachineExited with the reason.
/// </summary>
internal sealed class AgentPipes : IDisposable
{
    private readonly AnonymousPipeServerStream agentOut = new(PipeDirection.Out);
    private readonly AnonymousPipeClientStream hostIn;
    private readonly AnonymousPipeServerStream hostOut = new(PipeDirection.Out);
    private readonly AnonymousPipeClientStream agentIn;

    public AgentPipes(string lossSuffix = "")
    {
        hostIn = new AnonymousPipeClientStream(PipeDirection.In, agentOut.ClientSafePipeHandle);
        agentIn = new AnonymousPipeClientStream(PipeDirection.In, hostOut.ClientSafePipeHandle);
        Connection = new AgentConnection(hostIn, hostOut,
            reason => new TestHostException(TestHostError.MachineExited, reason + lossSuffix));
    }

    public AgentConnection Connection { get; }

    /// <summary>What the host wrote, as the agent reads it.</summary>
    public Stream FromHost => agentIn;

    public void AgentSays(params string[] lines)
    {
        agentOut.Write(Encoding.ASCII.GetBytes(string.Concat(lines.Select(l => l + "\n"))));
        agentOut.Flush();
    }

    /// <summary>The agent's end of its output closes: the channel ends.</summary>
    public void AgentCloses() => agentOut.Dispose();

    /// <summary>Our end towards the agent closes, as killing a Direct-mode machine does.</summary>
    public void HostSideCloses() => hostOut.Dispose();

    public void Dispose()
    {
        agentOut.Dispose();
        hostIn.Dispose();
        hostOut.Dispose();
        agentIn.Dispose();
    }
}
