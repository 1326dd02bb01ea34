using KataSharp.Runtime.Configuration;
using KataSharp.Runtime.Logging;
using KataSharp.Runtime.Rootfs;
using KataSharp.Runtime.Sandbox;
using KataSharp.Runtime.Tests.Fakes;
using Xunit;

namespace KataSharp.Runtime.Tests.Logging;

public sealed class RuntimeLogTests
{
    [Fact]
    public void Lines_are_logfmt_with_the_sandbox_and_container_and_debug_stays_off_by_default()
    {
        var output = new StringWriter();
        using var root = new RuntimeLog(output, debug: false);
        RuntimeLog log = root.ForSandbox("pod-1");
        log.Debug("hidden");
        log.Info("say \"hi\"", "c1");
        Assert.True(root.Flush(TimeSpan.FromSeconds(10)));
        string text = output.ToString();
        Assert.DoesNotContain("hidden", text);
        Assert.Matches("^time=\"[0-9T:.-]+Z\" level=info msg=\"say \\\\\"hi\\\\\"\" sandbox=\"pod-1\" container=\"c1\" runtime=io.containerd.katasharp.v2\n$", text);
    }

    [Fact]
    public void A_field_comes_after_the_message_and_sandbox_right_before_the_runtime_and_is_quoted_only_when_it_must_be()
    {
        var output = new StringWriter();
        using var root = new RuntimeLog(output, debug: false);
        RuntimeLog log = root.ForSandbox("pod-1");
        log.Error("exited: console said vm_exit_reason=Forged runtime=io.containerd.katasharp.v2", new LogField("vm_exit_reason", "GuestShutdown"));
        log.Error("two words", new LogField("note", "a b"));
        Assert.True(root.Flush(TimeSpan.FromSeconds(10)));
        string[] lines = output.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.EndsWith(" sandbox=\"pod-1\" vm_exit_reason=GuestShutdown runtime=io.containerd.katasharp.v2", lines[0]);
        Assert.EndsWith(" note=\"a b\" runtime=io.containerd.katasharp.v2", lines[1]);
    }

    [Theory]
    [InlineData("")]
    [InlineData("Reason")]
    [InlineData("a b")]
    [InlineData("a=b")]
    public void A_field_key_must_be_a_plain_logfmt_key(string key) =>
        Assert.Contains("must be lower-case letters", Assert.Throws<ArgumentException>(() => new LogField(key, "v")).Message);

    [Fact]
    public void Enabling_debug_reaches_every_log_made_from_the_same_one()
    {
        var output = new StringWriter();
        using var root = new RuntimeLog(output, debug: false);
        RuntimeLog sandbox = root.ForSandbox("pod-1");
        root.UseConfiguredLevel(LogSeverity.Debug);
        sandbox.Debug("now visible");
        Assert.True(root.Flush(TimeSpan.FromSeconds(10)));
        Assert.Contains("level=debug msg=\"now visible\" sandbox=\"pod-1\"", output.ToString());
    }

    [Theory]
    [InlineData(LogSeverity.Debug, "debug info warning error info-field error-field")]
    [InlineData(LogSeverity.Info, "info warning error info-field error-field")]
    [InlineData(LogSeverity.Warning, "warning error error-field")]
    [InlineData(LogSeverity.Error, "error error-field")]
    public void The_configured_level_filters_every_record_below_it(LogSeverity level, string expected)
    {
        var output = new StringWriter();
        using var root = new RuntimeLog(output, debug: false);
        RuntimeLog log = root.ForSandbox("pod-1");
        root.UseConfiguredLevel(level);
        log.Debug("debug");
        log.Info("info");
        log.Warn("warning");
        log.Error("error");
        log.Info("info-field", new LogField("pod_network_attached", "tap0_kata"));
        log.Error("error-field", new LogField("vm_exit_reason", "GuestShutdown"));
        Assert.True(root.Flush(TimeSpan.FromSeconds(10)));
        string[] written = output.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(l => l.Split("msg=\"")[1].Split('"')[0]).ToArray();
        Assert.Equal(expected.Split(' '), written);
        Assert.Equal(level, log.Level);
    }

    [Fact]
    public void Containerds_debug_flag_keeps_debug_lines_whatever_the_configuration_says()
    {
        var output = new StringWriter();
        using var log = new RuntimeLog(output, debug: true, "pod-1");
        log.UseConfiguredLevel(LogSeverity.Error);
        log.Debug("still here");
        Assert.True(log.Flush(TimeSpan.FromSeconds(10)));
        Assert.Contains("msg=\"still here\"", output.ToString());
        Assert.Equal(LogSeverity.Debug, log.Level);
    }

    [Theory]
    [InlineData(true, "info", true, true)]
    [InlineData(false, "info", false, true)]
    [InlineData(false, "debug", true, true)]
    [InlineData(false, "warn", false, false)]
    [InlineData(true, "error", true, true)]
    public async Task The_runtime_debug_and_log_level_keys_set_the_level_when_the_sandbox_boots(bool debug, string logLevel, bool debugShown, bool infoShown)
    {
        using var directory = new TempDirectory("ks-log");
        File.WriteAllText(directory.Combine("vmlinux"), "kernel");
        File.WriteAllText(directory.Combine("initrd"), "initrd");
        string config = directory.Combine("configuration.toml");
        File.WriteAllText(config, $"""
            [hypervisor.katasharp]
            kernel = "{directory.Combine("vmlinux")}"
            initrd = "{directory.Combine("initrd")}"
            [runtime]
            layer_cache_dir = "{directory.Combine("layers")}"
            debug = {(debug ? "true" : "false")}
            log_level = "{logLevel}"
            """);
        var output = new StringWriter();
        using var log = new RuntimeLog(output, debug: false, "pod-1");
        var host = new SandboxHost("pod-1", directory.Combine("state"), _ => new FakeSandboxBackend(), path => ConfigurationLoader.Load(path),
            _ => new LayerImageCache(directory.Combine("layers"), new ErofsBuilder(), RuntimeLog.Null), log);

        await host.EnsureRunningAsync(config, new ContainerPlacement("c1", PodResources.None, null, null), CancellationToken.None);
        log.Debug("debug after boot");
        log.Info("info after boot");
        Assert.True(log.Flush(TimeSpan.FromSeconds(10)));

        Assert.Equal(debugShown, output.ToString().Contains("msg=\"debug after boot\""));
        Assert.Equal(infoShown, output.ToString().Contains("msg=\"info after boot\""));
        await host.StopAsync(CancellationToken.None);
    }
    [Fact]
    public void Every_control_character_is_escaped_so_a_record_stays_one_line()
    {
        var output = new StringWriter();
        using var log = new RuntimeLog(output, debug: false, "pod-1");
        log.Info("a\u001b[2Jb\u0007\u202eevil\r\nforged level=error msg=\"x\"\ttab", "c\u001b1");
        Assert.True(log.Flush(TimeSpan.FromSeconds(10)));
        string text = output.ToString();
        Assert.Equal(text.Length - 1, text.IndexOf('\n'));
        Assert.DoesNotContain(text[..^1], c => char.IsControl(c) || c == '\u202e');
        Assert.Contains(@"msg=""a\x1b[2Jb\x07\u202eevil\r\nforged level=error msg=\""x\""\ttab""", text);
        Assert.Contains(@"container=""c\x1b1""", text);
    }

    [Fact]
    public async Task A_stalled_log_reader_costs_counted_dropped_records_never_a_blocked_caller()
    {
        using var sink = new RecordingLogWriter();
        using var log = new RuntimeLog(sink, debug: false, "pod-1", queueCapacityChars: 4096);
        sink.Block();

        // The callers (a vCPU, the event loop) must return although nothing can be written.
        await Task.Run(() =>
        {
            for (int i = 0; i < 1000; i++)
            {
                log.Info($"record {i}");
            }
        }).WaitAsync(TimeSpan.FromSeconds(10));
        await Eventually.TrueAsync(() => sink.BlockedWriters == 1, "the log's thread stuck in the sink");

        long dropped = log.Drops.DroppedLogRecords;
        Assert.InRange(dropped, 900, 1000);
        sink.Release();
        Assert.True(log.Flush(TimeSpan.FromSeconds(10)));
        int written = sink.Lines.Count(l => l.Contains("msg=\"record ", StringComparison.Ordinal));
        string report = Assert.Single(sink.Lines, l => l.Contains("log records", StringComparison.Ordinal));
        Assert.Contains($"level=warning msg=\"dropped {dropped} log records: the log's reader (containerd) was too slow\" sandbox=\"pod-1\"", report);
        Assert.Equal(1000, written + dropped);
    }

    [Fact]
    public async Task Closing_waits_only_a_bounded_time_for_a_stuck_reader()
    {
        using var sink = new RecordingLogWriter();
        var log = new RuntimeLog(sink, debug: false, "pod-1");
        sink.Block();
        await Task.Run(() => log.Info("never read")).WaitAsync(TimeSpan.FromSeconds(10));
        await Eventually.TrueAsync(() => sink.BlockedWriters == 1, "the log's thread stuck in the sink");
        Assert.False(log.Flush(TimeSpan.FromMilliseconds(100)));
        Assert.False(log.Close(TimeSpan.FromMilliseconds(100)));
        log.Info("after close");
        Assert.Equal(1, log.Drops.DroppedLogRecords);
        sink.Release();
        Assert.True(log.Close(TimeSpan.FromSeconds(10)));
        Assert.Contains("never read", sink.Text);
        Assert.Contains("dropped 1 log records", sink.Text);
    }
}
