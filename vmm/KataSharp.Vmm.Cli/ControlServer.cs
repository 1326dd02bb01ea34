using System.Net.Sockets;
using System.Text;
using KataSharp.Vmm.Errors;
using KataSharp.Vmm.Memory;

namespace KataSharp.Vmm.Cli;

/// <summary>
/// The --control socket: changes to a running VM, one command line per connection, answered with
/// "OK" or "ERR why". Commands: "attach NAME PATH [SERIAL]" inserts (or replaces) a disk's medium and
/// the guest sees the new capacity; "detach NAME" ejects it. This is the CLI face of the same API the
/// shim calls in-process (<see cref="BlockDevice.Attach"/>, <see cref="BlockDevice.Detach"/>).
/// </summary>
public sealed class ControlServer : IDisposable
{
    private readonly Socket _listener;
    private readonly string _path;
    private readonly MicroVm _vm;
    private readonly Thread _thread;
    private volatile bool _stopping;

    private ControlServer(Socket listener, string path, MicroVm vm)
    {
        _listener = listener;
        _path = path;
        _vm = vm;
        _thread = new Thread(Serve, ThreadStacks.MaxStackSize) { Name = "katasharp-vmm control", IsBackground = true };
        _thread.Start();
    }

    public static ControlServer Start(string path, MicroVm vm)
    {
        var listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            listener.Bind(new UnixDomainSocketEndPoint(path));
            listener.Listen(8);
        }
        catch (SocketException e)
        {
            listener.Dispose();
            throw new CliUsageException($"--control: cannot listen on '{path}': {e.Message} (remove a stale socket or choose another path)");
        }
        return new ControlServer(listener, path, vm);
    }

    private void Serve()
    {
        while (!_stopping)
        {
            Socket client;
            try
            {
                client = _listener.Accept();
            }
            catch (Exception e) when (e is SocketException or ObjectDisposedException)
            {
                return;
            }
            using (client)
            {
                try
                {
                    string reply = Execute(ReadLine(client));
                    client.Send(Encoding.UTF8.GetBytes(reply + "\n"));
                }
                catch (SocketException)
                {
                    // The client went away; the next one is served normally.
                }
            }
        }
    }

    /// <summary>Runs one command; never throws for bad input.</summary>
    public string Execute(string line)
    {
        string[] words = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        try
        {
            switch (words)
            {
                case ["attach", var name, var path]:
                    _vm.InsertMedium(name, path);
                    return "OK";
                case ["attach", var name, var path, var serial]:
                    _vm.InsertMedium(name, path, serial);
                    return "OK";
                case ["detach", var name]:
                    _vm.EjectMedium(name);
                    return "OK";
                default:
                    return $"ERR unknown command '{line}': use \"attach NAME PATH [SERIAL]\" or \"detach NAME\"";
            }
        }
        catch (VmmException e)
        {
            return $"ERR {e.Message}";
        }
    }

    private static string ReadLine(Socket client)
    {
        var line = new StringBuilder();
        var one = new byte[1];
        while (line.Length < 4096 && client.Receive(one) == 1 && one[0] != '\n')
        {
            line.Append((char)one[0]);
        }
        return line.ToString().TrimEnd('\r');
    }

    public void Dispose()
    {
        _stopping = true;
        _listener.Dispose();
        _thread.Join(TimeSpan.FromSeconds(5));
        try
        {
            File.Delete(_path);
        }
        catch (IOException)
        {
        }
    }
}
