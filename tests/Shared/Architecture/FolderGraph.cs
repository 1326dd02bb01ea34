using System.Text;
using System.Text.RegularExpressions;

namespace KataSharp.Tests.Shared.Architecture;

/// <summary>
/// (tests/Shared: compiled into each test project that needs it.)
/// Which folder of one project uses which, read from its C# sources. In this code base a file's
/// namespace is its folder (<see cref="NamespaceMismatches"/> holds the files where it is not), so
/// a folder is a namespace and "folder A uses folder B" means some file in A names something of B.
///
/// Why read text instead of compiling (Roslyn): the test projects do not reference the compiler,
/// and what matters here is which names a file can see, which C# decides by a few rules that are
/// easy to follow on text:
/// <list type="bullet">
/// <item>a <c>using</c> (or <c>using static</c>, or an alias) of a folder's namespace is a use of
/// that folder, whether or not a type of it is named: the import is the declared dependency, and
/// extension methods are used without naming their class;</item>
/// <item>a qualified name (<c>KataSharp.Runtime.Tasks.ProcessKey</c>, or <c>Tasks.ProcessKey</c>
/// from inside <c>KataSharp.Runtime.Sandbox</c>) is a use of the folder whose namespace it goes
/// through, if the name after that namespace is a type declared there (so a property that happens
/// to be called <c>Sandbox</c>, as in <c>Sandbox.Id</c>, is not taken for the namespace);</item>
/// <item>a simple name is a use of the nearest enclosing namespace that declares a top-level type of
/// that name: a file in <c>Engine/Cgroups</c> sees the types of <c>Engine</c> without a
/// <c>using</c>, which is how a child folder ties itself to its parent unnoticed.</item>
/// </list>
/// Comments and the text of string literals are left out (<see cref="CSharpText"/>), and a name
/// after a dot is a member, not a type, as is a name right after another name (a declaration). Parent and child folders are different folders.
/// </summary>
public sealed partial class FolderGraph
{
    /// <summary>The folder of files directly in the project's directory.</summary>
    public const string ProjectFolder = ".";

    private readonly string _rootNamespace;
    private readonly Dictionary<string, string> _folderByNamespace = new(StringComparer.Ordinal);
    private readonly HashSet<string> _namespaces = new(StringComparer.Ordinal);
    private readonly Dictionary<string, HashSet<string>> _typesByFolder = new(StringComparer.Ordinal);
    private readonly SortedDictionary<(string From, string To), SortedDictionary<string, SortedSet<string>>> _edges = new();
    private readonly List<string> _namespaceMismatches = [];

    /// <param name="rootNamespace">The project's root namespace (its folder ".").</param>
    /// <param name="files">Each file's path relative to the project directory ('/' separators) and its text.</param>
    public FolderGraph(string rootNamespace, IEnumerable<(string Path, string Text)> files)
    {
        _rootNamespace = rootNamespace;
        List<ParsedFile> parsed = files.Select(f => Parse(f.Path, f.Text)).ToList();
        foreach (ParsedFile file in parsed)
        {
            string ns = NamespaceOf(file.Folder);
            _folderByNamespace[ns] = file.Folder;
            for (string? n = ns; n is not null; n = Parent(n))
            {
                _namespaces.Add(n);
            }
            if (!_typesByFolder.TryGetValue(file.Folder, out HashSet<string>? types))
            {
                _typesByFolder[file.Folder] = types = new HashSet<string>(StringComparer.Ordinal);
            }
            types.UnionWith(file.Types);
            // Top-level statements (Program.cs) live in the global namespace; only the project's
            // own folder may hold them.
            if (file.Namespace is null ? file.Folder != ProjectFolder : file.Namespace != ns)
            {
                _namespaceMismatches.Add($"{file.Path}: namespace {file.Namespace ?? "(global)"}, folder {file.Folder} ({ns})");
            }
        }
        foreach (ParsedFile file in parsed)
        {
            AddUses(file);
        }
    }

    /// <summary>Reads every .cs file of a project (a .csproj path), leaving out obj/ and bin/.</summary>
    public static FolderGraph Load(string projectFile)
    {
        string directory = Path.GetDirectoryName(Path.GetFullPath(projectFile))!;
        Match root = RootNamespaceElement().Match(File.ReadAllText(projectFile));
        string rootNamespace = root.Success ? root.Groups[1].Value.Trim() : Path.GetFileNameWithoutExtension(projectFile);
        var files = Directory.EnumerateFiles(directory, "*.cs", SearchOption.AllDirectories)
            .Select(path => Path.GetRelativePath(directory, path).Replace(Path.DirectorySeparatorChar, '/'))
            .Where(path => !path.Split('/').SkipLast(1).Any(part => part is "obj" or "bin"))
            .Order(StringComparer.Ordinal)
            .Select(path => (path, File.ReadAllText(Path.Combine(directory, path))));
        return new FolderGraph(rootNamespace, files);
    }

    public IReadOnlyList<string> NamespaceMismatches => _namespaceMismatches;

    /// <summary>Whether a file of <paramref name="from"/> uses <paramref name="to"/>, and which files do, with what.</summary>
    public IReadOnlyDictionary<string, SortedSet<string>> Uses(string from, string to) =>
        _edges.TryGetValue((from, to), out SortedDictionary<string, SortedSet<string>>? files)
            ? files
            : new Dictionary<string, SortedSet<string>>();

    /// <summary>Every pair of folders that use each other, each pair once (A before B in ordinal order).</summary>
    public IReadOnlyList<FolderTie> TwoWayTies() =>
        _edges.Keys
            .Where(e => string.CompareOrdinal(e.From, e.To) < 0 && _edges.ContainsKey((e.To, e.From)))
            .Select(e => new FolderTie(e.From, e.To, _edges[(e.From, e.To)], _edges[(e.To, e.From)]))
            .ToList();

    private string NamespaceOf(string folder) =>
        folder == ProjectFolder ? _rootNamespace : _rootNamespace + "." + folder.Replace('/', '.');

    private static string? Parent(string ns) => ns.LastIndexOf('.') is int dot and > 0 ? ns[..dot] : null;

    /// <summary>The namespaces a name in <paramref name="ns"/> is looked up in, innermost first, within the project.</summary>
    private IEnumerable<string> Enclosing(string ns)
    {
        for (string? n = ns; n is not null && (n == _rootNamespace || n.StartsWith(_rootNamespace + ".", StringComparison.Ordinal)); n = Parent(n))
        {
            yield return n;
        }
    }

    private bool Declares(string ns, string name) =>
        _folderByNamespace.TryGetValue(ns, out string? folder) && _typesByFolder[folder] is var types
        && (types.Contains(name) || types.Contains(name + "Attribute"));

    private void AddUse(ParsedFile file, string toNamespace, string evidence)
    {
        string to = _folderByNamespace[toNamespace];
        if (to == file.Folder)
        {
            return;
        }
        if (!_edges.TryGetValue((file.Folder, to), out SortedDictionary<string, SortedSet<string>>? files))
        {
            _edges[(file.Folder, to)] = files = new SortedDictionary<string, SortedSet<string>>(StringComparer.Ordinal);
        }
        if (!files.TryGetValue(file.Path, out SortedSet<string>? names))
        {
            files[file.Path] = names = new SortedSet<string>(StringComparer.Ordinal);
        }
        names.Add(evidence);
    }

    private void AddUses(ParsedFile file)
    {
        string ns = NamespaceOf(file.Folder);
        foreach (string imported in file.Usings)
        {
            // "using X.Y;" names a namespace; "using static X.Y.T;" and "using A = X.Y.T;" a type
            // in one. A namespace of another project that shares the prefix
            // (KataSharp.Agent.Protocol seen from KataSharp.Agent) is neither.
            if (_folderByNamespace.ContainsKey(imported))
            {
                AddUse(file, imported, "using " + imported);
            }
            else if (Parent(imported) is string container && Declares(container, imported[(container.Length + 1)..]))
            {
                AddUse(file, container, "using " + imported);
            }
        }
        foreach (Match chain in QualifiedName().Matches(file.Body))
        {
            string[] parts = WhiteSpace().Replace(chain.Value, "").Replace("global::", "", StringComparison.Ordinal).Split('.');
            string? start = null;
            foreach (string e in Enclosing(ns).Append(""))
            {
                if (e.Length > 0 && Declares(e, parts[0]))
                {
                    break; // a type: the simple-name rule below covers it
                }
                string candidate = e.Length == 0 ? parts[0] : e + "." + parts[0];
                if (_namespaces.Contains(candidate))
                {
                    start = candidate;
                    break;
                }
            }
            for (int i = 1; start is not null && i < parts.Length; i++)
            {
                if (Declares(start, parts[i]))
                {
                    AddUse(file, start, string.Join('.', parts.Take(i + 1)));
                    break;
                }
                start = _namespaces.Contains(start + "." + parts[i]) ? start + "." + parts[i] : null;
            }
        }
        foreach (Match name in SimpleName().Matches(file.Body))
        {
            if (Declarator(file.Body, name.Index))
            {
                continue;
            }
            foreach (string e in Enclosing(ns))
            {
                if (Declares(e, name.Value))
                {
                    AddUse(file, e, name.Value);
                    break;
                }
            }
        }
    }

    /// <summary>
    /// Whether the name at <paramref name="index"/> follows another name that is not a keyword,
    /// as the name of a member, local or parameter does (<c>object AgentException = …</c>): in
    /// C# a type follows a name only when that name is a keyword (<c>new</c>, <c>out</c>, <c>public</c>…).
    /// </summary>
    private static bool Declarator(string body, int index)
    {
        int end = index;
        while (end > 0 && char.IsWhiteSpace(body[end - 1]))
        {
            end--;
        }
        int start = end;
        while (start > 0 && (char.IsLetterOrDigit(body[start - 1]) || body[start - 1] == '_'))
        {
            start--;
        }
        return start < end && end < index && !char.IsDigit(body[start]) && !Keywords.Contains(body[start..end]);
    }

    private static readonly HashSet<string> Keywords = new(StringComparer.Ordinal)
    {
        "abstract", "and", "as", "async", "await", "base", "by", "case", "catch", "checked", "class", "const",
        "default", "delegate", "do", "else", "enum", "equals", "event", "explicit", "extern", "file", "fixed",
        "for", "foreach", "from", "get", "global", "goto", "group", "if", "implicit", "in", "init", "interface",
        "internal", "into", "is", "join", "let", "lock", "nameof", "namespace", "new", "not", "on", "operator",
        "or", "orderby", "out", "override", "params", "partial", "private", "protected", "public", "readonly",
        "record", "ref", "required", "return", "scoped", "sealed", "select", "set", "sizeof", "stackalloc",
        "static", "struct", "switch", "this", "throw", "try", "typeof", "unchecked", "unsafe", "using", "var",
        "virtual", "volatile", "when", "where", "while", "with", "yield",
    };

    private sealed record ParsedFile(string Path, string Folder, string? Namespace, IReadOnlyList<string> Usings, IReadOnlyList<string> Types, string Body);

    private static ParsedFile Parse(string path, string text)
    {
        string code = CSharpText.CodeOnly(text);
        int slash = path.LastIndexOf('/');
        string folder = slash < 0 ? ProjectFolder : path[..slash];

        Match nsMatch = NamespaceDeclaration().Match(code);
        string? ns = nsMatch.Success ? nsMatch.Groups[1].Value : null;
        int typeDepth = nsMatch.Success && nsMatch.Groups[2].Value == "{" ? 1 : 0;

        var usings = new List<string>();
        var body = new StringBuilder(code);
        foreach (Match u in UsingDirective().Matches(code))
        {
            usings.Add(u.Groups[1].Value);
            body.Remove(u.Index, u.Length).Insert(u.Index, new string(' ', u.Length));
        }
        if (nsMatch.Success)
        {
            body.Remove(nsMatch.Index, nsMatch.Length).Insert(nsMatch.Index, new string(' ', nsMatch.Length));
        }
        string rest = body.ToString();
        return new ParsedFile(path, folder, ns, usings, TopLevelTypes(code, typeDepth), rest);
    }

    /// <summary>Names of the types declared at <paramref name="depth"/> braces (not nested in another type).</summary>
    private static List<string> TopLevelTypes(string code, int depth)
    {
        var names = new List<string>();
        List<Match> tokens = Token().Matches(code).ToList();
        int level = 0;
        for (int i = 0; i < tokens.Count; i++)
        {
            string t = tokens[i].Value;
            if (t == "{")
            {
                level++;
            }
            else if (t == "}")
            {
                level--;
            }
            else if (level == depth && t is "class" or "struct" or "interface" or "enum" or "record")
            {
                int n = i + 1;
                if (t == "record" && n < tokens.Count && tokens[n].Value is "class" or "struct")
                {
                    n++;
                }
                if (n < tokens.Count && IsIdentifier(tokens[n].Value) && tokens[n].Value != "where")
                {
                    names.Add(tokens[n].Value.TrimStart('@'));
                }
            }
            else if (level == depth && t == "delegate")
            {
                // delegate <return type> Name<T>(…): the last name outside angle brackets before '('.
                string? name = null;
                int angles = 0;
                for (int n = i + 1; n < tokens.Count && tokens[n].Value != "("; n++)
                {
                    string v = tokens[n].Value;
                    angles += v == "<" ? 1 : v == ">" ? -1 : 0;
                    if (angles == 0 && IsIdentifier(v))
                    {
                        name = v;
                    }
                }
                if (name is not null)
                {
                    names.Add(name.TrimStart('@'));
                }
            }
        }
        return names;
    }

    private static bool IsIdentifier(string token) => token.Length > 0 && (char.IsLetter(token[0]) || token[0] is '_' or '@');

    [GeneratedRegex("""<RootNamespace>([^<]+)</RootNamespace>""")]
    private static partial Regex RootNamespaceElement();

    [GeneratedRegex("""^[ \t]*namespace\s+([\w.]+)\s*([;{])""", RegexOptions.Multiline)]
    private static partial Regex NamespaceDeclaration();

    /// <summary>A using directive (not a using statement: those have a declaration or parentheses).</summary>
    [GeneratedRegex("""^[ \t]*(?:global\s+)?using\s+(?:static\s+)?(?:@?\w+\s*=\s*)?(?:global::)?([\w.]+)\s*(?:<[^;]*>)?\s*;""", RegexOptions.Multiline)]
    private static partial Regex UsingDirective();

    /// <summary>A dotted name not itself after a dot (so it starts where C# starts looking it up).</summary>
    [GeneratedRegex("""(?<![\w@])(?<!\.\s*)(?:global::)?@?[A-Za-z_]\w*(?:\s*\.\s*@?[A-Za-z_]\w*)+""")]
    private static partial Regex QualifiedName();

    /// <summary>A name not after a dot or '::' (a member or an alias-qualified name is not looked up in namespaces).</summary>
    [GeneratedRegex("""(?<![\w@])(?<!\.\s*)(?<!::\s*)[A-Za-z_]\w*""")]
    private static partial Regex SimpleName();

    [GeneratedRegex("""@?[A-Za-z_]\w*|[{}()<>]""")]
    private static partial Regex Token();

    [GeneratedRegex("""\s+""")]
    private static partial Regex WhiteSpace();
}

/// <summary>Two folders that use each other, with the files (and the names in them) on each side.</summary>
public sealed record FolderTie(
    string A,
    string B,
    IReadOnlyDictionary<string, SortedSet<string>> AUsesB,
    IReadOnlyDictionary<string, SortedSet<string>> BUsesA)
{
    public string Key => $"{A} <-> {B}";

    public override string ToString()
    {
        var text = new StringBuilder();
        text.AppendLine(Key);
        Append(text, A, B, AUsesB);
        Append(text, B, A, BUsesA);
        return text.ToString();
    }

    private static void Append(StringBuilder text, string from, string to, IReadOnlyDictionary<string, SortedSet<string>> files)
    {
        text.AppendLine($"  {from} -> {to}:");
        foreach ((string file, SortedSet<string> names) in files)
        {
            text.AppendLine($"    {file} ({string.Join(", ", names)})");
        }
    }
}
