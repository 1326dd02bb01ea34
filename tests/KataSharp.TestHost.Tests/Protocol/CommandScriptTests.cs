using System.Diagnostics;
using KataSharp.TestHost.Protocol;
using Xunit;

namespace KataSharp.TestHost.Tests.Protocol;

/// <summary>The generated script, run by the real bash the agent uses.</summary>
public sealed class CommandScriptTests : IDisposable
{
    private readonly string dir = Directory.CreateTempSubdirectory("ks-script-it's here-").FullName;

    [Fact]
    public async Task RunsTheCommandInTheGivenDirectoryWithAFixedEnvironment()
    {
        var env = new Dictionary<string, string> { ["PATH"] = "/opt/tools:/usr/bin", ["KATASHARP_CACHE"] = "/tmp/c 'q'" };
        string script = CommandScript.Build("printf '%s|' \"$(pwd)\" \"$PATH\" \"$KATASHARP_CACHE\" \"$HOME\" \"it's\"", dir,
            name => env.GetValueOrDefault(name));
        string output = await RunBash(script);
        Assert.Equal($"{dir}|/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin:/opt/tools|/tmp/c 'q'|/root|it's|", output);
    }

    [Fact]
    public async Task AMissingDirectoryFallsBackToRoot()
    {
        string script = CommandScript.Build("pwd", Path.Combine(dir, "gone"), _ => null);
        Assert.Equal("/\n", await RunBash(script));
    }

    public void Dispose() => Directory.Delete(dir, recursive: true);

    private async Task<string> RunBash(string script)
    {
        string file = Path.Combine(dir, "command.sh");
        await File.WriteAllTextAsync(file, script);
        using var bash = Process.Start(new ProcessStartInfo("bash") { ArgumentList = { file }, RedirectStandardOutput = true })!;
        string output = await bash.StandardOutput.ReadToEndAsync();
        await bash.WaitForExitAsync();
        Assert.Equal(0, bash.ExitCode);
        return output;
    }
}
