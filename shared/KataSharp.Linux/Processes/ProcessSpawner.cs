using System.Runtime.InteropServices;
using System.Text;
using KataSharp.Linux.Files;
using KataSharp.Linux.Interop;
using static KataSharp.Linux.Interop.SpawnCalls;

namespace KataSharp.Linux.Processes;

/// <summary>
/// Starts a program with posix_spawn(3): glibc does clone(CLONE_VM|CLONE_VFORK) + execve, which is
/// safe from a multi-threaded .NET process (no managed code runs in the child). The child gets the
/// given descriptors at fixed numbers, an empty signal mask and every signal at its default (.NET
/// ignores SIGPIPE; a child must not inherit that). Everything else we open is close-on-exec.
/// </summary>
public static unsafe class ProcessSpawner
{
    /// <summary>Spawns <paramref name="path"/>; returns its pid. <paramref name="descriptors"/> maps a child fd
    /// number to the parent's descriptor it duplicates.</summary>
    public static int Spawn(string path, IReadOnlyList<string> argv, IReadOnlyList<string> envp,
        IReadOnlyList<(int ChildFd, FileDescriptor Source)> descriptors)
    {
        FileActions actions;
        SpawnAttr spawnAttr;
        SignalCalls.SigSet sigset;
        FileActions* fileActions = &actions;
        SpawnAttr* attr = &spawnAttr;
        var natives = new List<IntPtr>();
        var copies = new List<FileDescriptor>();
        bool actionsReady = false, attrReady = false;
        try
        {
            CheckSpawn(posix_spawn_file_actions_init(fileActions), "posix_spawn_file_actions_init");
            actionsReady = true;
            CheckSpawn(posix_spawnattr_init(attr), "posix_spawnattr_init");
            attrReady = true;

            // Sources are first duplicated above every target number: mapping 3<-4 and 4<-3 in
            // sequence would otherwise clobber one with the other. The copies are close-on-exec.
            int above = descriptors.Count == 0 ? 3 : descriptors.Max(d => d.ChildFd) + 1;
            foreach ((int childFd, FileDescriptor source) in descriptors)
            {
                FileDescriptor copy = source.DuplicateAbove(above);
                copies.Add(copy);
                CheckSpawn(posix_spawn_file_actions_adddup2(fileActions, copy.Value, childFd), $"posix_spawn_file_actions_adddup2({childFd})");
            }

            Libc.Check(SignalCalls.sigemptyset(&sigset), "sigemptyset");
            CheckSpawn(posix_spawnattr_setsigmask(attr, &sigset), "posix_spawnattr_setsigmask");
            Libc.Check(SignalCalls.sigfillset(&sigset), "sigfillset");
            CheckSpawn(posix_spawnattr_setsigdefault(attr, &sigset), "posix_spawnattr_setsigdefault");
            CheckSpawn(posix_spawnattr_setflags(attr, POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK), "posix_spawnattr_setflags");

            byte* cpath = Native(path, natives);
            byte** cargv = NativeArray(argv, natives);
            byte** cenvp = NativeArray(envp, natives);
            int pid;
            int rc = posix_spawn(&pid, cpath, fileActions, attr, cargv, cenvp);
            if (rc != 0)
            {
                throw new LinuxException($"posix_spawn({path})", rc);
            }
            return pid;
        }
        finally
        {
            if (actionsReady)
            {
                posix_spawn_file_actions_destroy(fileActions);
            }
            if (attrReady)
            {
                posix_spawnattr_destroy(attr);
            }
            foreach (IntPtr p in natives)
            {
                NativeMemory.Free((void*)p);
            }
            foreach (FileDescriptor copy in copies)
            {
                copy.Dispose();
            }
        }
    }

    private static void CheckSpawn(int rc, string call)
    {
        if (rc != 0)
        {
            throw new LinuxException(call, rc);
        }
    }

    private static byte* Native(string value, List<IntPtr> natives)
    {
        if (value.Contains('\0'))
        {
            throw new ArgumentException($"'{value}' contains a NUL character", nameof(value));
        }
        int length = Encoding.UTF8.GetByteCount(value);
        byte* p = (byte*)NativeMemory.Alloc((nuint)length + 1);
        natives.Add((IntPtr)p);
        Encoding.UTF8.GetBytes(value, new Span<byte>(p, length));
        p[length] = 0;
        return p;
    }

    private static byte** NativeArray(IReadOnlyList<string> values, List<IntPtr> natives)
    {
        byte** array = (byte**)NativeMemory.Alloc((nuint)(values.Count + 1), (nuint)sizeof(byte*));
        natives.Add((IntPtr)array);
        for (int i = 0; i < values.Count; i++)
        {
            array[i] = Native(values[i], natives);
        }
        array[values.Count] = null;
        return array;
    }
}
