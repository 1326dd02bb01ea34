using System.Text;
using Iced.Intel;
using KataSharp.Vmm.Devices;
using KataSharp.Vmm.Lifecycle;
using KataSharp.Vmm.Machine;

namespace KataSharp.Vmm.Tests.Support;

/// <summary>
/// Boots a <see cref="GuestProgram"/> through the production path (MachineBuilder → ELF loader →
/// boot data → long-mode entry → vCPU loop) on the real /dev/kvm, with recorders on the report,
/// text and exit ports. Disposing stops and releases the VM and the temporary files.
/// </summary>
public sealed class ProgramRun : IDisposable
{
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    private readonly TempDirectory _files = new();
    private readonly Recorder _reports = new();
    private readonly Recorder _text = new();
    private readonly Recorder _exits = new();
    private readonly List<string> _log = [];

    private ProgramRun(Action<Assembler> program, Action<MachineBuilder>? configure, Action<VirtualMachine>? attach)
    {
        string kernel = _files.File("program.elf", GuestProgram.AsKernel(program));
        var builder = new MachineBuilder()
            .WithKernel(kernel)
            .WithMemoryMiB(MachineBuilder.MinMemoryMiB)
            .WithLog(line =>
            {
                lock (_log)
                {
                    _log.Add(line);
                }
            });
        configure?.Invoke(builder);
        Machine = builder.Build();
        try
        {
            Machine.AddPioDevice(GuestProgram.ReportPort, 1, _reports, "test report port");
            Machine.AddPioDevice(GuestProgram.TextPort, 1, _text, "test text port");
            _exits.OnWrite = code => Machine.RequestExit(new VmExit(VmExitReason.HostStop, $"test program exited with {code}"));
            Machine.AddPioDevice(GuestProgram.ExitPort, 1, _exits, "test exit port");
            attach?.Invoke(Machine);
            Machine.Start();
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    public VirtualMachine Machine { get; }

    public static ProgramRun Start(Action<Assembler> program, Action<MachineBuilder>? configure = null, Action<VirtualMachine>? attach = null) =>
        new(program, configure, attach);

    /// <summary>Waits for the VM to stop (the program's exit OUT, a reset, a failure) and returns why.</summary>
    public VmExit WaitForExit()
    {
        Task<VmExit> exit = Machine.WaitForExitAsync();
        if (!exit.Wait(Timeout))
        {
            throw new TimeoutException($"guest program did not stop within {Timeout.TotalSeconds} s; reported so far: {string.Join(", ", Reports.Select(r => $"0x{r:x}"))}");
        }
        return exit.Result;
    }

    /// <summary>The values reported on the report port, paired into 64-bit values (low half first).</summary>
    public IReadOnlyList<ulong> Reports
    {
        get
        {
            uint[] words = _reports.Words();
            return Enumerable.Range(0, words.Length / 2).Select(i => words[2 * i] | ((ulong)words[2 * i + 1] << 32)).ToArray();
        }
    }

    public string Text => Encoding.ASCII.GetString(_text.Words().Select(w => (byte)w).ToArray());

    public IReadOnlyList<uint> ExitCodes => _exits.Words();

    public IReadOnlyList<string> Log
    {
        get
        {
            lock (_log)
            {
                return _log.ToArray();
            }
        }
    }

    public void Dispose()
    {
        Machine?.Dispose();
        _files.Dispose();
    }

    /// <summary>A port that records every write (as a zero-extended value) and reads as zero.</summary>
    private sealed class Recorder : IBusDevice
    {
        private readonly List<uint> _words = [];

        public Action<uint>? OnWrite { get; set; }

        public uint[] Words()
        {
            lock (_words)
            {
                return _words.ToArray();
            }
        }

        public void Read(ulong offset, Span<byte> data) => data.Clear();

        public void Write(ulong offset, ReadOnlySpan<byte> data)
        {
            Span<byte> value = stackalloc byte[4];
            data[..Math.Min(4, data.Length)].CopyTo(value);
            uint word = BitConverter.ToUInt32(value);
            lock (_words)
            {
                _words.Add(word);
            }
            OnWrite?.Invoke(word);
        }
    }
}
