using System.Diagnostics;
using System.Text.RegularExpressions;

namespace KataSharp.Cli.Commands;

/// <summary>Which config format the installed containerd reads, for a config file that does not exist yet.</summary>
public static partial class ContainerdVersion
{
    /// <summary>3 for containerd 2.x, 2 for 1.x or when containerd cannot be asked.</summary>
    public static int ConfigVersionForInstalled()
    {
        try
        {
            var start = new ProcessStartInfo("containerd", "--version") { RedirectStandardOutput = true, RedirectStandardError = true };
            using Process? process = Process.Start(start);
            if (process is null)
            {
                return 2;
            }
            string text = process.StandardOutput.ReadToEnd();
            if (!process.WaitForExit(10_000))
            {
                process.Kill();
                return 2;
            }
            return ConfigVersionFor(text);
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return 2; // no containerd on PATH
        }
    }

    /// <summary>"containerd github.com/containerd/containerd/v2 v2.0.2 ..." → 3; "... 1.6.20~ds1 ..." → 2.</summary>
    public static int ConfigVersionFor(string versionOutput)
    {
        Match match = Release().Match(versionOutput);
        return match.Success && int.Parse(match.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture) >= 2 ? 3 : 2;
    }

    [GeneratedRegex(@"\sv?(\d+)\.\d+\.\d+")]
    private static partial Regex Release();
}
