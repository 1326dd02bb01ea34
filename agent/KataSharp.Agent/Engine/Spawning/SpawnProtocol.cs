namespace KataSharp.Agent.Engine.Spawning;

/// <summary>Wire constants shared with agent/native/ks_spawn.h (a unit test compares the two files).</summary>
public static class SpawnProtocol
{
    public const int PlanFd = 3, StatusFd = 4, StartFd = 5, TerminalFd = 6;

    /// <summary>The first fd number a spawn does not map in the child.</summary>
    public const int FirstFreeFd = TerminalFd + 1;

    public static class Tag
    {
        public const uint Mode = 1, CloneFlags = 2, JoinNamespace = 3, CgroupProcs = 4, Rootfs = 5, RootReadonly = 6,
            RootPropagation = 7, Mount = 8, Masked = 9, ReadonlyPath = 10, Sysctl = 11, Hostname = 12, Rlimit = 13,
            User = 14, Groups = 15, Umask = 16, Caps = 17, NoNewPrivs = 18, Seccomp = 19, Cwd = 20, Arg = 21, Env = 22,
            Terminal = 23, OomScoreAdj = 24, Device = 25, Symlink = 26;
    }

    public static class Mode
    {
        public const uint Create = 1, Exec = 2, Host = 3;
    }

    public static class Status
    {
        public const int Pid = 1, Ready = 2, Error = 3;
    }

    public const int ExitSetupFailed = 125, ExitNotStarted = 126;
}
