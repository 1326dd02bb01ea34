namespace KataSharp.Linux.Files;

/// <summary>What an inode is (stat's S_IFMT file type), for callers that must treat device nodes differently from files.</summary>
public enum FileKind
{
    Regular,
    Directory,
    Symlink,
    BlockDevice,
    CharacterDevice,
    Fifo,
    Socket,
}
