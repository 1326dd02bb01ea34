using KataSharp.CriProbe.Cli;
using KataSharp.CriProbe.Connection;
using KataSharp.CriProbe.Cri;

namespace KataSharp.CriProbe.Verbs;

/// <summary>`version` and `image-status`: what the CRI server is and whether it knows an image.</summary>
internal static class InfoVerbs
{
    public static async Task<int> VersionAsync(CriSession cri, ProbeArguments args)
    {
        args.EnsureAllUsed();
        VersionResponse v = await cri.Runtime.VersionAsync(new VersionRequest { Version = "v1" }, cri.Call());
        Console.WriteLine($"version={v.Version}");
        Console.WriteLine($"runtime_name={v.RuntimeName}");
        Console.WriteLine($"runtime_version={v.RuntimeVersion}");
        Console.WriteLine($"runtime_api_version={v.RuntimeApiVersion}");
        return 0;
    }

    /// <summary>Prints the image id and tags; exit 1 when the CRI server does not have it.</summary>
    public static async Task<int> ImageStatusAsync(CriSession cri, ProbeArguments args)
    {
        string reference = args.Single("image reference");
        args.EnsureAllUsed();
        ImageStatusResponse r = await cri.Images.ImageStatusAsync(new ImageStatusRequest { Image = new ImageSpec { Image = reference } }, cri.Call());
        if (r.Image is null)
        {
            Console.WriteLine("image=absent");
            return 1;
        }
        Console.WriteLine($"image_id={r.Image.Id}");
        Console.WriteLine($"repo_tags={string.Join(',', r.Image.RepoTags)}");
        Console.WriteLine($"size={r.Image.Size}");
        return 0;
    }
}
