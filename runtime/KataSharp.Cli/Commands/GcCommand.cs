using System.CommandLine;
using System.Globalization;
using KataSharp.Linux;
using KataSharp.Runtime.Configuration;
using KataSharp.Runtime.Rootfs;

namespace KataSharp.Cli.Commands;

/// <summary>
/// `katasharp gc [--max-mib N] [--dry-run]`: cleans the erofs layer cache ([runtime] layer_cache_dir)
/// — build leftovers, images of layers containerd deleted, then least recently used images down to
/// the cap ([runtime] layer_cache_max_mib, or --max-mib). Images running sandboxes have attached are
/// never removed (<see cref="LayerCacheCollector"/> says how it knows). Prints each file and the bytes freed.
/// </summary>
public static class GcCommand
{
    private const long Mib = 1024 * 1024;

    public static Command Create()
    {
        var maxMib = new Option<int?>("--max-mib")
        {
            HelpName = "N",
            Description = "bring the cached images down to N MiB, least recently used first (default [runtime] layer_cache_max_mib; 0 = no cap)",
        };
        maxMib.Validators.Add(result =>
        {
            if (result.GetValueOrDefault<int?>() is < 0)
            {
                result.AddError("--max-mib takes 0 (no cap) or a positive number of MiB");
            }
        });
        var dryRun = new Option<bool>("--dry-run") { Description = "say what would be removed, remove nothing" };
        var command = new Command("gc", "remove layer cache leftovers, images of deleted layers, and least recently used images over the size cap")
        {
            maxMib, dryRun,
        };
        command.SetAction(result => Run(result.InvocationConfiguration.Output, result.GetValue(maxMib), result.GetValue(dryRun)));
        return command;
    }

    public static int Run(TextWriter output, int? maxMib, bool dryRun)
    {
        RuntimeConfiguration configuration;
        try
        {
            configuration = ConfigurationLoader.Load();
        }
        catch (ConfigurationException e)
        {
            Console.Error.WriteLine($"katasharp gc: {e.Message}");
            return 1;
        }
        long cap = (maxMib ?? configuration.Runtime.LayerCacheMaxMib) * Mib;
        LayerCacheCollection collection;
        try
        {
            collection = LayerCacheCollector.Collect(configuration.Runtime.LayerCacheDir, cap, dryRun);
        }
        catch (Exception e) when (e is UnauthorizedAccessException || e is LinuxException { Errno: Errno.EACCES or Errno.EPERM })
        {
            Console.Error.WriteLine($"katasharp gc: {e.Message}: the shims' layer cache ({configuration.Runtime.LayerCacheDir}) is root's; run gc as root");
            return 1;
        }
        Print(collection, output);
        return 0;
    }

    public static void Print(LayerCacheCollection collection, TextWriter output)
    {
        string verb = collection.DryRun ? "would remove" : "removed";
        foreach (LayerCacheRemoval removal in collection.Removed)
        {
            output.WriteLine($"{verb} {removal.Path} ({Size(removal.Bytes)}): {Reason(removal.Reason)}, {removal.Detail}");
        }
        foreach (string image in collection.InUse)
        {
            output.WriteLine($"kept    {image}: attached to a running sandbox");
        }
        foreach (string lockFile in collection.Busy)
        {
            output.WriteLine($"kept    {lockFile}: a build is in progress");
        }
        string cap = collection.CapBytes == 0 ? "no cap" : $"cap {collection.CapBytes / Mib} MiB";
        string over = collection.CapBytes > 0 && collection.ImageBytesKept > collection.CapBytes
            ? "; still over the cap: the rest is in use"
            : "";
        output.WriteLine($"{(collection.DryRun ? "would free" : "freed")} {Size(collection.BytesFreed)}; " +
            $"{collection.Directory} {(collection.DryRun ? "would keep" : "keeps")} {collection.ImagesKept} image(s), {Size(collection.ImageBytesKept)} ({cap}){over}");
    }

    private static string Reason(LayerCacheRemovalReason reason) => reason switch
    {
        LayerCacheRemovalReason.Leftover => "leftover",
        LayerCacheRemovalReason.Orphan => "orphan",
        _ => "least recently used",
    };

    private static string Size(long bytes) =>
        string.Create(CultureInfo.InvariantCulture, $"{bytes} bytes, {bytes / (double)Mib:0.0} MiB");
}
