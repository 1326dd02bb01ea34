using System.Runtime.Versioning;
using KataSharp.Agent.Hosting;

[assembly: SupportedOSPlatform("linux")]

namespace KataSharp.Agent;

internal static class Program
{
    public static int Main(string[] args)
    {
        AgentOptions options;
        try
        {
            string? cmdline = File.Exists("/proc/cmdline") ? File.ReadAllText("/proc/cmdline") : null;
            options = AgentOptions.Parse(args, cmdline);
        }
        catch (ArgumentException e)
        {
            Console.Error.WriteLine($"katasharp-agent: {e.Message}");
            return 2;
        }
        return AgentHost.Run(options);
    }
}
