using System.Text;

namespace Builder.Benchmarks;

/// <summary>
/// A deterministic source-repository-like tree for layer benchmarks: mostly code-like text of varied sizes
/// (identifiers drawn Zipf-like from a vocabulary, so it compresses about as well as real code), a few large
/// generated text files, and some binary assets (incompressible and semi-structured).
/// </summary>
public static class SourceTreeGenerator
{
    public const int DefaultFiles = 4_000;
    public const long DefaultBytes = 130_000_000;

    private static readonly string[] Syllables =
    [
        "get", "set", "value", "item", "list", "map", "node", "tree", "path", "file", "name", "type", "data", "buffer", "stream",
        "read", "write", "open", "close", "index", "count", "size", "layer", "image", "build", "stage", "cache", "key", "hash",
        "digest", "config", "option", "result", "error", "context", "token", "entry", "header", "manifest", "blob", "store",
        "handler", "request", "response", "client", "server", "user", "group", "mode", "time", "parse", "format", "apply", "merge",
    ];

    private static readonly string[] Keywords =
    [
        "public", "private", "static", "readonly", "var", "return", "if", "else", "for", "foreach", "while", "new", "null", "true",
        "false", "async", "await", "using", "class", "sealed", "record", "string", "int", "long", "bool", "void", "throw", "catch",
    ];

    private static readonly string[] Extensions = [".cs", ".go", ".py", ".ts", ".java", ".md", ".json", ".yaml", ".c", ".h"];

    /// <summary>Writes the tree under <paramref name="root"/> (which must not exist or be empty); returns the bytes of file content.</summary>
    public static long Generate(string root, int files = DefaultFiles, long totalBytes = DefaultBytes, int seed = 20251128)
    {
        var random = new Random(seed);
        var identifiers = Enumerable.Range(0, 4000)
            .Select(_ => string.Concat(Enumerable.Range(0, random.Next(1, 4)).Select(i =>
            {
                var s = Syllables[random.Next(Syllables.Length)];
                return i == 0 ? s : char.ToUpperInvariant(s[0]) + s[1..];
            })))
            .Distinct()
            .ToArray();

        var directories = new List<string> { "" };
        foreach (var top in new[] { "src", "tests", "docs", "assets", "vendor", "tools" })
        {
            directories.Add(top);
            for (var i = 0; i < 40; i++)
            {
                var parent = directories[random.Next(directories.Count)];
                if (parent.Length == 0 || parent.Count(c => c == '/') >= 5)
                {
                    parent = top;
                }
                directories.Add($"{parent}/{identifiers[random.Next(identifiers.Length)].ToLowerInvariant()}{i}");
            }
        }

        // Sizes first (log-normal), scaled so the total is the target.
        var kinds = new char[files];
        var sizes = new double[files];
        for (var i = 0; i < files; i++)
        {
            var roll = random.NextDouble();
            (kinds[i], sizes[i]) = roll switch
            {
                < 0.0025 => ('g', 3_000_000 * (0.5 + random.NextDouble())),
                < 0.10 => ('b', LogNormal(random, Math.Log(25_000), 1.2)),
                _ => ('t', LogNormal(random, Math.Log(9_000), 1.1)),
            };
        }
        var scale = totalBytes / sizes.Sum();

        foreach (var directory in directories)
        {
            Directory.CreateDirectory(Path.Combine(root, directory));
        }
        long written = 0;
        var text = new StringBuilder();
        for (var i = 0; i < files; i++)
        {
            var size = Math.Max(0, (int)(sizes[i] * scale));
            var directory = directories[random.Next(directories.Count)];
            var name = $"{identifiers[random.Next(identifiers.Length)]}{i}";
            byte[] content;
            switch (kinds[i])
            {
                case 'b':
                    content = new byte[size];
                    if (random.Next(2) == 0)
                    {
                        random.NextBytes(content); // photos, archives: incompressible
                    }
                    else
                    {
                        var value = 0;
                        for (var p = 0; p + 4 <= size; p += 4)
                        {
                            value += random.Next(-300, 300); // tables, compiled code: somewhat compressible
                            BitConverter.TryWriteBytes(content.AsSpan(p), value);
                        }
                    }
                    name += random.Next(2) == 0 ? ".png" : ".bin";
                    break;
                default:
                    text.Clear();
                    WriteCode(text, random, identifiers, size, generated: kinds[i] == 'g');
                    content = Encoding.UTF8.GetBytes(text.ToString());
                    name += kinds[i] == 'g' ? ".min.js" : Extensions[random.Next(Extensions.Length)];
                    break;
            }
            File.WriteAllBytes(Path.Combine(root, directory, name), content);
            written += content.Length;
        }
        return written;
    }

    private static double LogNormal(Random random, double mu, double sigma)
    {
        var u1 = 1.0 - random.NextDouble();
        var u2 = random.NextDouble();
        return Math.Exp(mu + sigma * Math.Sqrt(-2 * Math.Log(u1)) * Math.Cos(2 * Math.PI * u2));
    }

    /// <summary>Zipf-like: small indices (common identifiers) much more often than large ones.</summary>
    private static string Pick(Random random, string[] words) => words[(int)(words.Length * Math.Pow(random.NextDouble(), 3))];

    private static void WriteCode(StringBuilder text, Random random, string[] identifiers, int size, bool generated)
    {
        var indent = 0;
        while (text.Length < size)
        {
            if (!generated)
            {
                text.Append(' ', indent * 4);
            }
            switch (random.Next(10))
            {
                case 0:
                    text.Append("// ");
                    for (var w = random.Next(3, 12); w > 0; w--)
                    {
                        text.Append(Pick(random, identifiers).ToLowerInvariant()).Append(' ');
                    }
                    break;
                case 1:
                    text.Append("if (").Append(Pick(random, identifiers)).Append(random.Next(2) == 0 ? " == " : " != ")
                        .Append(random.Next(2) == 0 ? "null" : random.Next(1000).ToString(System.Globalization.CultureInfo.InvariantCulture)).Append(") {");
                    indent = Math.Min(indent + 1, 6);
                    break;
                case 2 when indent > 0:
                    text.Append('}');
                    indent--;
                    break;
                case 3:
                    text.Append("return ").Append(Pick(random, identifiers)).Append('.').Append(Pick(random, identifiers)).Append("();");
                    break;
                case 4:
                    text.Append(Keywords[random.Next(Keywords.Length)]).Append(' ').Append(Keywords[random.Next(Keywords.Length)]).Append(' ')
                        .Append(Pick(random, identifiers)).Append('(').Append(Pick(random, identifiers)).Append(' ').Append(Pick(random, identifiers))
                        .Append(") {");
                    indent = Math.Min(indent + 1, 6);
                    break;
                default:
                    text.Append("var ").Append(Pick(random, identifiers)).Append(" = ").Append(Pick(random, identifiers)).Append('.')
                        .Append(Pick(random, identifiers)).Append('(').Append(Pick(random, identifiers)).Append(", \"")
                        .Append(Pick(random, identifiers)).Append("\", ").Append(random.Next(100_000)).Append(");");
                    break;
            }
            text.Append(generated ? ' ' : '\n');
        }
        text.Length = size;
    }
}
