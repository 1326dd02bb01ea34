using KataSharp.Linux;
using KataSharp.Linux.Files;
using KataSharp.Linux.Memory;
using KataSharp.Linux.Sockets;
using KataSharp.Linux.Processes;
using KataSharp.Runtime.Oci;
using KataSharp.Shim.Memory;

namespace KataSharp.Shim.Verbs;

/// <summary>
/// `start`: find or create the pod's shim and print its address. containerd waits for this
/// process to exit and for its stdout/stderr pipe to close, so the long-running server is
/// spawned with posix_spawn (no managed code runs between fork and exec), stdio on /dev/null,
/// the listening socket as fd 3 and nothing else inherited (everything .NET opens is
/// close-on-exec, and whatever our own parent leaked is marked so); it then calls setsid() itself. One shim per grouping key (CRI's sandbox-id
/// annotation, else the task id): a later container of the same pod gets the running shim's address.
/// </summary>
public static class StartVerb
{
    /// <summary>The listening socket's number in the spawned server (runc's shim uses 3 too).</summary>
    public const int ListenerFd = 3;

    public static int Run(ShimArguments args, TextWriter stdout)
    {
        args.Require();
        string bundle = Directory.GetCurrentDirectory();
        string groupingKey = OciBundle.Load(bundle).GroupingKey(args.Id);
        string socketPath = ShimSocketAddress.PathFor(args.Address, args.Namespace, groupingKey);
        string address = ShimSocketAddress.Uri(socketPath);

        using StreamSocket? listener = BindOrReuse(socketPath);
        if (listener is not null)
        {
            SpawnServer(args, listener);
        }
        WriteAddressFile(bundle, address);
        stdout.Write(address);
        stdout.Flush();
        return 0;
    }

    /// <summary>
    /// A fresh listening socket, or null when a live shim already serves this path. Made with
    /// KataSharp.Linux rather than System.Net.Sockets: a disposed .NET listener deletes its socket
    /// file, which would leave the spawned server listening on a path nobody can reach.
    /// </summary>
    private static StreamSocket? BindOrReuse(string socketPath)
    {
        System.IO.Directory.CreateDirectory(Path.GetDirectoryName(socketPath)!, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        for (int attempt = 0; attempt < 2; attempt++)
        {
            try
            {
                var socket = StreamSocket.ListenUnix(socketPath, backlog: 64, nonBlocking: false);
                File.SetUnixFileMode(socketPath, UnixFileMode.UserRead | UnixFileMode.UserWrite);
                return socket;
            }
            catch (LinuxException e) when (e.Errno == Errno.EADDRINUSE)
            {
                if (IsServed(socketPath))
                {
                    return null;
                }
                File.Delete(socketPath); // a dead shim's socket: take the path over
            }
        }
        throw new IOException($"cannot bind {socketPath}: it stays in use but nothing answers on it");
    }

    private static bool IsServed(string socketPath)
    {
        try
        {
            using var probe = StreamSocket.ConnectUnix(socketPath, nonBlocking: true);
            return true;
        }
        catch (LinuxException e) when (e.Errno is Errno.ECONNREFUSED or Errno.ENOENT)
        {
            return false;
        }
        catch (LinuxException e) when (e.Errno == Errno.EAGAIN)
        {
            return true; // alive, just busy (backlog full)
        }
    }

    private static void SpawnServer(ShimArguments args, StreamSocket listener)
    {
        string self = Environment.ProcessPath ?? throw new InvalidOperationException("cannot tell where this shim binary is");
        var argv = new List<string> { self, "-namespace", args.Namespace, "-id", args.Id, "-address", args.Address, "-publish-binary", args.PublishBinary };
        if (args.Debug)
        {
            argv.Add("-debug");
        }
        var environment = GcBudget.Apply(Environment.GetEnvironmentVariables().Keys.Cast<string>()
            .Select(key => $"{key}={Environment.GetEnvironmentVariable(key)}"));
        InheritedDescriptors.MarkCloseOnExec();
        // The server's heap and thread stacks on 4 KiB pages: with the host's THP mode "always" each of them would take
        // whole 2 MiB pages for a few KiB used, per pod (README, Performance). Set here, before the spawn, because the
        // server inherits it across exec (prctl PR_SET_THP_DISABLE) and so has it from its first page: a call in the
        // server itself came after the .NET runtime had touched its first heap region, which could already be a 2 MiB
        // page (2048 KiB of AnonHugePages in a shim benchmark). Guest RAM allows them again for itself
        // (GuestMemory.Create), in the VMM process, which inherits this from the server.
        TransparentHugePages.DisableForThisProcess();
        using var devNull = FileDescriptor.Open("/dev/null", (int)OpenFlags.ReadWrite);
        ProcessSpawner.Spawn(self, argv, environment,
        [
            (StandardDescriptors.Stdin, devNull),
            (StandardDescriptors.Stdout, devNull),
            (StandardDescriptors.Stderr, devNull),
            (ListenerFd, listener.Descriptor),
        ]);
    }

    private static void WriteAddressFile(string bundle, string address)
    {
        string path = Path.Combine(bundle, "address");
        string temporary = path + ".tmp";
        File.WriteAllText(temporary, address);
        File.Move(temporary, path, overwrite: true);
    }
}
