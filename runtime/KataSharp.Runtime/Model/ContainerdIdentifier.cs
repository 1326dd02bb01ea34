namespace KataSharp.Runtime.Model;

/// <summary>containerd's identifier rule (identifiers/validate.go): [A-Za-z0-9] then [A-Za-z0-9_.-], at most 76.</summary>
public static class ContainerdIdentifier
{
    public const int MaxLength = 76;

    public static bool IsValid(string id) =>
        id.Length is > 0 and <= MaxLength
        && char.IsAsciiLetterOrDigit(id[0])
        && id.All(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '.' or '-');

    public static string Require(string id, string what = "id")
    {
        if (!IsValid(id))
        {
            throw new RuntimeException(RuntimeError.InvalidArgument,
                $"{what} \"{id}\" is not a valid containerd identifier (letters, digits, '_', '.', '-'; at most {MaxLength})");
        }
        return id;
    }
}
