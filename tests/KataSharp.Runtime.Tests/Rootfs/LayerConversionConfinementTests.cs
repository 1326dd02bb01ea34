using System.Text;
using KataSharp.Linux.Files;
using KataSharp.Runtime.Model;
using KataSharp.Runtime.Rootfs;
using KataSharp.Runtime.Tests.Fakes;
using Xunit;

namespace KataSharp.Runtime.Tests.Rootfs;

/// <summary>
/// mkfs.erofs reads registry content, so it runs confined, bounded in time and in what it may print (issue 11).
/// Stand-in converters (shell scripts given mkfs.erofs's arguments: --quiet --preserve-mtime IMAGE SOURCE) report
/// what they can see into IMAGE (and whether they can write into SOURCE); the last fact uses Debian's real mkfs.erofs. Needs root, as the shim does.
/// </summary>
public class LayerConversionConfinementTests
{
    /// <summary>CapBnd with only CAP_DAC_READ_SEARCH (bit 2) and CAP_SYS_ADMIN (bit 21).</summary>
    private const string TwoCapabilities = "0000000000200004";

    private const string ProbeScript = """
        #!/bin/sh
        { readlink /proc/self/ns/net; readlink /proc/self/ns/ipc; readlink /proc/self/ns/uts; readlink /proc/self/ns/mnt
          if touch "$4/written-by-the-converter" 2>/dev/null; then echo source-writable; else echo source-read-only; fi
          grep -E '^(NoNewPrivs|CapBnd):' /proc/self/status; } >"$3"
        """;

    [Fact]
    public async Task The_converter_gets_its_own_network_ipc_and_uts_namespaces_no_new_privs_and_two_capabilities()
    {
        using var directory = new TempDirectory();
        string[] probe = await RunProbe(directory, confined: true);

        Assert.NotEqual(NamespaceOf("/proc/self/ns/net"), probe[0]);
        Assert.NotEqual(NamespaceOf("/proc/self/ns/ipc"), probe[1]);
        Assert.NotEqual(NamespaceOf("/proc/self/ns/uts"), probe[2]);
        Assert.NotEqual(NamespaceOf("/proc/self/ns/mnt"), probe[3]);
        Assert.Contains("NoNewPrivs:\t1", probe);
        Assert.Contains($"CapBnd:\t{TwoCapabilities}", probe);
    }

    [Fact]
    public async Task The_converter_sees_the_layer_read_only_and_the_host_still_sees_it_writable()
    {
        using var directory = new TempDirectory();
        string[] probe = await RunProbe(directory, confined: true);

        Assert.Contains("source-read-only", probe);
        Assert.False(File.Exists(Path.Combine(Source(directory), "written-by-the-converter")));
        // The read-only bind lived in the converter's mount namespace only: nothing of it reached the host's.
        File.WriteAllText(Path.Combine(Source(directory), "written-by-the-host"), "ok");
        Assert.DoesNotContain(File.ReadLines("/proc/self/mountinfo"), line => line.Contains(Source(directory), StringComparison.Ordinal));
    }

    [Fact]
    public async Task Unconfined_for_debugging_the_converter_shares_the_shims_namespaces_and_capabilities()
    {
        using var directory = new TempDirectory();
        string[] probe = await RunProbe(directory, confined: false);

        Assert.Equal(NamespaceOf("/proc/self/ns/net"), probe[0]);
        Assert.Contains("source-writable", probe);
        Assert.Contains("NoNewPrivs:\t0", probe);
        Assert.DoesNotContain($"CapBnd:\t{TwoCapabilities}", probe);
    }

    [Fact]
    public async Task A_converter_that_never_finishes_is_killed_at_the_timeout_and_the_error_names_the_key()
    {
        using var directory = new TempDirectory();
        string image = directory.Combine("x.erofs");
        var builder = new ErofsBuilder(Script(directory, "#!/bin/sh\necho $$ >\"$3.pid\"\nexec sleep 600\n"), TimeSpan.FromSeconds(1));

        var error = await Assert.ThrowsAsync<RuntimeException>(() => builder.BuildAsync(Source(directory), image, CancellationToken.None));

        Assert.Equal(RuntimeError.DeadlineExceeded, error.Error);
        Assert.Contains("layer_conversion_timeout_seconds", error.Message);
        int pid = int.Parse(File.ReadAllText(image + ".pid").Trim());
        Assert.False(Directory.Exists($"/proc/{pid}"), $"the converter (pid {pid}) outlived its timeout");
    }

    [Fact]
    public async Task A_converter_that_floods_its_output_gives_a_bounded_error()
    {
        using var directory = new TempDirectory();
        var builder = new ErofsBuilder(Script(directory, "#!/bin/sh\nhead -c 20000000 /dev/zero | tr '\\0' x >&2\nexit 3\n"));

        var error = await Assert.ThrowsAsync<RuntimeException>(() => builder.BuildAsync(Source(directory), directory.Combine("x.erofs"), CancellationToken.None));

        Assert.Contains("exit code 3", error.Message);
        Assert.Contains("more characters not kept", error.Message);
        Assert.True(error.Message.Length < 2 * BoundedProcessOutput.MaxChars, $"the error kept {error.Message.Length} characters");
    }

    [Fact]
    public async Task The_confined_real_mkfs_keeps_opaque_markers_and_reads_files_only_root_may_read()
    {
        using var directory = new TempDirectory();
        string source = directory.Combine("layer");
        string opaque = Path.Combine(source, "replaced");
        Directory.CreateDirectory(opaque);
        ExtendedAttributes.Set(opaque, "trusted.overlay.opaque", "y"u8);
        string secret = Path.Combine(source, "secret");
        File.WriteAllText(secret, "KS-UNREADABLE-CONTENT");
        File.SetUnixFileMode(secret, UnixFileMode.None);
        string image = directory.Combine("layer.erofs");

        await new ErofsBuilder().BuildAsync(source, image, CancellationToken.None);

        // Uncompressed erofs keeps names and small files inline: the marker's name (after the trusted. prefix index)
        // and the file's bytes are in the image as they are. Without CAP_SYS_ADMIN the marker is silently left out.
        string bytes = Encoding.Latin1.GetString(File.ReadAllBytes(image));
        Assert.Contains("overlay.opaque", bytes);
        Assert.Contains("KS-UNREADABLE-CONTENT", bytes);
    }

    /// <summary>This process's namespace (e.g. "net:[4026531833]"), as readlink prints it.</summary>
    private static string NamespaceOf(string link) =>
        new FileInfo(link).LinkTarget ?? throw new InvalidOperationException($"{link} is not a symlink");

    private static async Task<string[]> RunProbe(TempDirectory directory, bool confined)
    {
        string image = directory.Combine("probe.out");
        await new ErofsBuilder(Script(directory, ProbeScript), confined: confined).BuildAsync(Source(directory), image, CancellationToken.None);
        return File.ReadAllLines(image);
    }

    private static string Source(TempDirectory directory)
    {
        string source = directory.Combine("source");
        Directory.CreateDirectory(source);
        return source;
    }

    private static string Script(TempDirectory directory, string text)
    {
        string path = directory.Combine("fake-mkfs.erofs");
        File.WriteAllText(path, text);
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        return path;
    }
}
