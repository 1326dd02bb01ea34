using System.CommandLine;
using System.CommandLine.Parsing;

namespace KataSharp.Vmm.Cli;

/// <summary>katasharp-vmm's command line, parsed and checked for form (the builder checks the values).</summary>
public sealed record CliOptions(string Kernel, string? Initrd, string Cmdline, int Vcpus, int MemoryMiB, string? ConsoleFile)
{
    /// <summary>virtio devices and the control socket (parsed by <see cref="DeviceOptions"/>).</summary>
    public DeviceOptions Devices { get; init; } = new();

    /// <summary>Parses <paramref name="args"/>; throws <see cref="CliUsageException"/> naming the problem.</summary>
    public static CliOptions Parse(IReadOnlyList<string> args)
    {
        var commandLine = new VmmCommandLine();
        return From(commandLine, commandLine.Parse(args));
    }

    /// <summary>
    /// The options of a parse that is not --help or --version; throws <see cref="CliUsageException"/>
    /// with the first problem, in the words the hand-written parser used ("--kernel needs a value",
    /// "unknown argument '--cpus'").
    /// </summary>
    public static CliOptions From(VmmCommandLine commandLine, ParseResult result)
    {
        if (result.UnmatchedTokens.Count > 0)
        {
            throw new CliUsageException($"unknown argument '{result.UnmatchedTokens[0]}'");
        }
        if (result.Errors.Count > 0)
        {
            ParseError first = result.Errors[0];
            throw new CliUsageException(OptionWithoutValue(first.SymbolResult) is { } option ? $"{option} needs a value" : first.Message);
        }
        string kernel = result.GetValue(commandLine.Kernel) ?? throw new CliUsageException("--kernel is required");

        var devices = new DeviceOptions();
        // The device parser takes one option at a time, as on the command line; each kind keeps its order.
        foreach (string disk in result.GetValue(commandLine.Disk) ?? [])
        {
            devices.TryParse("--disk", () => disk);
        }
        foreach (var (option, value) in new[] { ("--vsock-socket", result.GetValue(commandLine.VsockSocket)), ("--cid", result.GetValue(commandLine.Cid)), ("--control", result.GetValue(commandLine.Control)) })
        {
            if (value is not null)
            {
                devices.TryParse(option, () => value);
            }
        }
        if (result.GetValue(commandLine.Rng))
        {
            devices.TryParse("--rng", () => "");
        }
        foreach (string net in result.GetValue(commandLine.Net) ?? [])
        {
            devices.TryParse("--net", () => net);
        }
        devices.Specs(); // reports device option mistakes now
        return new CliOptions(kernel, result.GetValue(commandLine.Initrd), result.GetValue(commandLine.Cmdline)!,
            result.GetValue(commandLine.Vcpus), result.GetValue(commandLine.Memory), result.GetValue(commandLine.Console)) { Devices = devices };
    }

    /// <summary>The option an error is about when that option was given without its value.</summary>
    private static string? OptionWithoutValue(SymbolResult? symbol)
    {
        for (SymbolResult? s = symbol; s is not null; s = s.Parent)
        {
            if (s is OptionResult option)
            {
                return option.Tokens.Count == 0 && option.Option.Arity.MinimumNumberOfValues > 0 ? option.Option.Name : null;
            }
        }
        return null;
    }
}
