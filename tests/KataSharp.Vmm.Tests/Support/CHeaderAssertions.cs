using System.Diagnostics;
using System.Reflection;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Text;

// Reflection over the interop types is the point of these checks; they run on the JIT, never under AOT.
#pragma warning disable IL2070, IL2075, IL3050

namespace KataSharp.Vmm.Tests.Support;

/// <summary>
/// Collects C _Static_asserts written from C# interop definitions (by reflection, so a new field or constant is
/// checked without editing a test) and compiles them with gcc against the kernel's uapi headers
/// (linux-libc-dev). A mismatch fails with gcc's list of the assertions that do not hold.
/// </summary>
internal sealed class CHeaderAssertions(params string[] headers)
{
    private readonly StringBuilder _assertions = new();

    /// <summary>Compiles with _GNU_SOURCE, for the glibc declarations only it reveals (O_PATH, F_ADD_SEALS, MAP_ANONYMOUS).</summary>
    public bool GnuSource { get; init; }

    public void Assert(string condition) =>
        _assertions.AppendLine($"_Static_assert({condition}, \"{condition.Replace("\"", "\\\"")}\");");

    /// <summary>sizeof (unless <paramref name="prefixOnly"/>) and every field's offset and size, recursing into nested structs.</summary>
    public void Struct(Type type, bool prefixOnly = false, string? cName = null) =>
        Layout(type, $"struct {cName ?? type.Name}", prefixOnly);

    /// <summary>As <see cref="Struct"/>, for a type C names by typedef only (siginfo_t): the fields the C# type declares
    /// may be the header's macros for union members (si_pid).</summary>
    public void Typedef(Type type, string cType) => Layout(type, cType, prefixOnly: false);

    /// <summary>A type C keeps opaque (posix_spawnattr_t): the C# stand-in has its size and its alignment, the alignment
    /// being that of the fixed buffer's element it is made of.</summary>
    public void Opaque(Type type, string cType)
    {
        FieldInfo buffer = type.GetFields(BindingFlags.Public | BindingFlags.Instance).Single();
        Type element = buffer.GetCustomAttribute<FixedBufferAttribute>()!.ElementType;
        Assert($"sizeof({cType}) == {Marshal.SizeOf(type)}");
        Assert($"_Alignof({cType}) == {Marshal.SizeOf(element)} /* {type.Name}: {element.Name} words */");
    }

    /// <summary>Whether the headers define the macro <paramref name="name"/> at all (to tell "newer than the headers"
    /// from "wrong").</summary>
    public bool Defines(string name)
    {
        var probe = new CHeaderAssertions(headers) { GnuSource = GnuSource };
        probe._assertions.AppendLine($"#ifndef {name}\n#error {name} is not defined\n#endif");
        return probe.Run(["-fsyntax-only"], out _, out _) == 0;
    }

    /// <summary>Builds and runs a C program (the headers included before <paramref name="body"/>) and returns what it
    /// printed: for values only a call computes (glibc's inline gnu_dev_major), which _Static_assert cannot check.</summary>
    public static string RunProgram(string body, params string[] headers)
    {
        string binary = Path.Combine(Path.GetTempPath(), $"ks-layout-{Guid.NewGuid():N}");
        try
        {
            var c = new CHeaderAssertions(headers);
            c._assertions.Append(body);
            int rc = c.Run(["-o", binary], out _, out string errors);
            Xunit.Assert.True(rc == 0, $"gcc could not build the check program:\n{errors}");
            var start = new ProcessStartInfo(binary) { RedirectStandardOutput = true };
            using Process run = Process.Start(start)!;
            string output = run.StandardOutput.ReadToEnd();
            run.WaitForExit();
            Xunit.Assert.True(run.ExitCode == 0, $"the check program exited with {run.ExitCode}");
            return output;
        }
        finally
        {
            File.Delete(binary);
        }
    }

    /// <summary>Every public static field (const or readonly) of <paramref name="type"/> equals the header's macro of the same name.</summary>
    public void Constants(Type type, params string[] except)
    {
        foreach (FieldInfo field in type.GetFields(BindingFlags.Public | BindingFlags.Static))
        {
            if (except.Contains(field.Name))
            {
                continue;
            }
            object value = field.GetValue(null)!;
            Assert(value is uint u ? $"(unsigned int){field.Name} == {u}u" : $"{field.Name} == {Convert.ToInt64(value)}LL");
        }
    }

    public void Compile()
    {
        int rc = Run(["-fsyntax-only"], out _, out string errors);
        Xunit.Assert.True(rc == 0, $"the C headers disagree with the C# layout:\n{errors}");
    }

    private int Run(string[] options, out string output, out string errors)
    {
        string source = (GnuSource ? "#define _GNU_SOURCE\n" : "") + "#include <stddef.h>\n"
            + string.Concat(headers.Select(h => $"#include <{h}>\n")) + _assertions;
        var start = new ProcessStartInfo("gcc", [.. options, "-std=gnu11", "-x", "c", "-"])
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
            Task<string> stderr = gcc.StandardError.ReadToEndAsync();
            output = gcc.StandardOutput.ReadToEnd();
            gcc.WaitForExit();
            errors = stderr.Result;
            return gcc.ExitCode;
        }
    }

    private void Layout(Type type, string cType, bool prefixOnly)
    {
        if (!prefixOnly)
        {
            Assert($"sizeof({cType}) == {Marshal.SizeOf(type)}");
        }
        AddFields(cType, type, "", 0);
    }

    /// <summary>Field by field, recursing into nested interop structs (C path "a.b"); fixed buffers are leaves.</summary>
    private void AddFields(string cType, Type type, string prefix, int baseOffset)
    {
        foreach (FieldInfo field in type.GetFields(BindingFlags.Public | BindingFlags.Instance))
        {
            string path = prefix + field.Name;
            int offset = baseOffset + (int)Marshal.OffsetOf(type, field.Name);
            Assert($"offsetof({cType}, {path}) == {offset}");
            Assert($"sizeof((({cType} *)0)->{path}) == {SizeOf(field)}");
            Type t = field.FieldType;
            if (t.IsValueType && !t.IsPrimitive && field.GetCustomAttribute<FixedBufferAttribute>() is null)
            {
                AddFields(cType, t, path + ".", offset);
            }
        }
    }

    private static int SizeOf(FieldInfo field) =>
        field.GetCustomAttribute<FixedBufferAttribute>() is { } buffer
            ? buffer.Length * Marshal.SizeOf(buffer.ElementType)
            : Marshal.SizeOf(field.FieldType);
}
