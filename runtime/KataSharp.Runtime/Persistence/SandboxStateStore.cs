using System.Text.Json;
using KataSharp.Runtime.Model;

namespace KataSharp.Runtime.Persistence;

/// <summary>
/// Sandbox state under &lt;state_dir&gt;/&lt;sandbox id&gt;/state.json, written atomically (temporary
/// file, fsync, rename) so a crash mid-write leaves the previous version, never half a file.
/// The directory also holds the VM's sockets and logs and is removed with the sandbox.
/// </summary>
public sealed class SandboxStateStore
{
    private const string FileName = "state.json";

    /// <summary>
    /// Where sandbox state lives. Fixed rather than configured: a `delete` after a shim crash must
    /// find it even when the configuration file is broken or gone.
    /// </summary>
    public const string DefaultRoot = "/run/katasharp";

    /// <summary>Overrides <see cref="DefaultRoot"/> (tests, hosts without /run).</summary>
    public const string RootVariable = "KATASHARP_STATE_DIR";

    public static SandboxStateStore FromEnvironment() =>
        new(Environment.GetEnvironmentVariable(RootVariable) is { Length: > 0 } root ? root : DefaultRoot);

    public SandboxStateStore(string stateRoot) => Root = stateRoot;

    public string Root { get; }

    public string DirectoryOf(string sandboxId) => Path.Combine(Root, Validated(sandboxId));

    public void Save(SandboxRecord record)
    {
        string directory = DirectoryOf(record.SandboxId);
        Directory.CreateDirectory(directory);
        string path = Path.Combine(directory, FileName);
        string temporary = path + ".tmp";
        using (var file = new FileStream(temporary, FileMode.Create, FileAccess.Write, FileShare.None))
        {
            JsonSerializer.Serialize(file, record, PersistenceJsonContext.Default.SandboxRecord);
            file.Flush(flushToDisk: true);
        }
        File.Move(temporary, path, overwrite: true);
    }

    /// <summary>The saved record, or null when there is none (never saved, or already removed).</summary>
    public SandboxRecord? Load(string sandboxId)
    {
        string path = Path.Combine(DirectoryOf(sandboxId), FileName);
        if (!File.Exists(path))
        {
            return null;
        }
        try
        {
            return JsonSerializer.Deserialize(File.ReadAllText(path), PersistenceJsonContext.Default.SandboxRecord);
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{path} is not a valid sandbox state file: {e.Message}", e);
        }
    }

    /// <summary>Removes the sandbox's whole state directory (state, sockets, logs). Idempotent.</summary>
    public void Remove(string sandboxId)
    {
        string directory = DirectoryOf(sandboxId);
        if (Directory.Exists(directory))
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    /// <summary>Anything but a containerd identifier must never become a path component.</summary>
    private static string Validated(string sandboxId) => ContainerdIdentifier.Require(sandboxId, "sandbox id");
}
