using System.Diagnostics;
using System.Text;

namespace KataSharp.Vmm.Tests.Support;

/// <summary>
/// Compares C# interop definitions with the kernel's C headers: collect <c>_Static_assert</c>s, then
/// compile them with gcc against the headers (linux-libc-dev). A mismatch fails with gcc's list.
/// </summary>
internal static class CHeaderCheck
{
    /// <summary>Appends <c>_Static_assert(condition)</c>, with the condition as its message.</summary>
    public static void Assert(StringBuilder c, string condition) =>
        c.AppendLine($"_Static_assert({condition}, \"{condition.Replace("\"", "\\\"")}\");");

    /// <summary>Compiles <paramref name="assertions"/> after including <paramref name="headers"/> (e.g. "linux/kvm.h").</summary>
    public static void Compile(IEnumerable<string> headers, string assertions)
    {
        string source = "#include <stddef.h>\n" + string.Concat(headers.Select(h => $"#include <{h}>\n")) + assertions;
        var start = new ProcessStartInfo("gcc", ["-fsyntax-only", "-std=gnu11", "-x", "c", "-"])
        {
            RedirectStandardInput = true,
            RedirectStandardError = true,
            RedirectStandardOutput = true,
        };
        Process gcc;
        try
        {
            gcc = Process.Start(start)!;
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new InvalidOperationException("gcc is needed for the layout test: run scripts/install-deps.sh build", e);
        }
        using (gcc)
        {
            gcc.StandardInput.Write(source);
            gcc.StandardInput.Close();
            Task<string> errors = gcc.StandardError.ReadToEndAsync();
            gcc.StandardOutput.ReadToEnd();
            gcc.WaitForExit();
            Xunit.Assert.True(gcc.ExitCode == 0, $"the C headers disagree with the C# layout:\n{errors.Result}");
        }
    }
}
