using System.Diagnostics;
using System.Formats.Tar;
using System.Security.Cryptography;
using System.Text;
using Builder.Oci.Layers;
using Builder.Posix;

namespace Builder.Oci.Tests.Layers;

/// <summary>A scratch directory removed after the test.</summary>
public sealed class TempDirectory : IDisposable
{
    public TempDirectory()
    {
        Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "builder-layers-" + Guid.NewGuid().ToString("N")[..12]);
        Directory.CreateDirectory(Path);
    }

    public string Path { get; }

    public string Sub(string name)
    {
        var path = System.IO.Path.Combine(Path, name);
        Directory.CreateDirectory(path);
        return path;
    }

    public void Dispose() => Tools.Run("rm", "-rf", "--", Path);
}

/// <summary>External tools (coreutils, GNU tar, gzip, zstd): independent checks of what our code wrote.</summary>
public static class Tools
{
    public static string Run(string file, params string[] arguments)
    {
        var (code, output, error) = TryRun(file, arguments);
        return code == 0 ? output : throw new InvalidOperationException($"{file} {string.Join(' ', arguments)} exited {code}: {error}");
    }

    public static (int Code, string Output, string Error) TryRun(string file, params string[] arguments)
    {
        var start = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }
        using var process = Process.Start(start)!;
        var error = process.StandardError.ReadToEndAsync();
        var output = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        return (process.ExitCode, output, error.Result);
    }

    public static string Shell(string script) => Run("bash", "-euo", "pipefail", "-c", script);

    /// <summary>Tests that mknod or chown need root; as CI runs them, they fail loudly instead of skipping.</summary>
    public static void RequireRoot()
    {
        if (Environment.UserName != "root" && Run("id", "-u").Trim() != "0")
        {
            Assert.Fail("this test creates devices and sets owners, so it must run as root (CI runs as root); it does not skip");
        }
    }
}

/// <summary>One entry of a tree as the file system reports it (coreutils stat), for comparing trees.</summary>
public sealed record TreeEntry(string Path, string Type, string Mode, long Uid, long Gid, long Size, long Mtime, string Device,
    string? LinkTarget, string? Sha256, string Xattrs);

public static class TreeSnapshot
{
    /// <summary>Every entry below <paramref name="root"/>, plus which names share an inode.</summary>
    public static (List<TreeEntry> Entries, List<string> HardlinkGroups) Take(string root, bool includeXattrs = true)
    {
        var output = Tools.Run("find", root, "-mindepth", "1", "-exec", "stat", "--printf", "%n\t%F\t%a\t%u\t%g\t%s\t%Y\t%t,%T\t%i\t%h\n", "{}", "+");
        var entries = new List<TreeEntry>();
        var inodes = new Dictionary<string, List<string>>();
        foreach (var line in output.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            var f = line.Split('\t');
            var path = f[0][(root.Length + 1)..];
            var full = f[0];
            var type = f[1].Replace("regular empty file", "regular file", StringComparison.Ordinal);
            var isDirectory = type == "directory";
            entries.Add(new TreeEntry(path, type, f[2], long.Parse(f[3]), long.Parse(f[4]),
                isDirectory ? 0 : long.Parse(f[5]), long.Parse(f[6]),
                type.Contains("special", StringComparison.Ordinal) ? f[7] : "",
                type == "symbolic link" ? new FileInfo(full).LinkTarget : null,
                type == "regular file" ? Sha256(full) : null,
                includeXattrs ? string.Join(",", LibC.ListXattrs(full).Select(x => $"{x.Key}={Convert.ToHexString(x.Value)}")) : ""));
            if (!isDirectory && long.Parse(f[9]) > 1)
            {
                var key = f[8];
                if (!inodes.TryGetValue(key, out var names))
                {
                    inodes[key] = names = [];
                }
                names.Add(path);
            }
        }
        entries.Sort((a, b) => string.CompareOrdinal(a.Path, b.Path));
        var groups = inodes.Values.Select(g => string.Join(" = ", g.Order(StringComparer.Ordinal))).Order(StringComparer.Ordinal).ToList();
        return (entries, groups);
    }

    public static void AssertSame(string expectedRoot, string actualRoot, bool includeXattrs = true)
    {
        var expected = Take(expectedRoot, includeXattrs);
        var actual = Take(actualRoot, includeXattrs);
        Assert.Equal(expected.Entries.Select(e => e.Path), actual.Entries.Select(e => e.Path));
        for (var i = 0; i < expected.Entries.Count; i++)
        {
            Assert.Equal(expected.Entries[i], actual.Entries[i]);
        }
        Assert.Equal(expected.HardlinkGroups, actual.HardlinkGroups);
    }

    public static string Sha256(string file)
    {
        using var stream = File.OpenRead(file);
        return Convert.ToHexStringLower(SHA256.HashData(stream));
    }
}

/// <summary>Builds a tree with every kind of entry and attribute a layer must keep.</summary>
public static class SampleTree
{
    public static readonly byte[] Capability = Convert.FromHexString("0100000200200000000000000000000000000000");

    public static void Create(string root, bool withDevices = true)
    {
        void Write(string path, string text) => File.WriteAllText(System.IO.Path.Combine(root, path), text);
        void Mkdir(string path) => Directory.CreateDirectory(System.IO.Path.Combine(root, path));
        string P(string path) => System.IO.Path.Combine(root, path);

        Mkdir("bin");
        Write("bin/tool", "#!/bin/sh\necho tool\n");
        Tools.Run("chmod", "4755", P("bin/tool"));
        Assert.Equal(0, LibC.TrySetXattr(P("bin/tool"), "security.capability", Capability));
        Tools.Run("ln", P("bin/tool"), P("bin/tool-link"));
        Mkdir("etc/alternatives");
        Write("etc/passwd", "root:x:0:0:root:/root:/bin/sh\n");
        Write("etc/shadow", "root:*:19000:0:99999:7:::\n");
        Tools.Run("chmod", "0640", P("etc/shadow"));
        Tools.Run("chown", "0:42", P("etc/shadow"));
        Tools.Run("ln", P("bin/tool"), P("etc/tool-hard"));
        File.CreateSymbolicLink(P("etc/alternatives/editor"), "/usr/bin/vim");
        Mkdir("usr/lib");
        File.CreateSymbolicLink(P("lib"), "usr/lib");
        var random = new Random(7);
        var big = new byte[3 * 1024 * 1024 + 123];
        random.NextBytes(big);
        File.WriteAllBytes(P("usr/lib/libx.so"), big);
        File.WriteAllBytes(P("usr/lib/empty"), []);
        var text = new StringBuilder();
        for (var i = 0; i < 40_000; i++)
        {
            text.Append("line ").Append(i).Append(" of some compressible text\n");
        }
        Write("usr/lib/notes.txt", text.ToString());
        Mkdir("tmp");
        Tools.Run("chmod", "1777", P("tmp"));
        Mkdir("srv/shared");
        Tools.Run("chown", "1000:1000", P("srv/shared"));
        Tools.Run("chmod", "2775", P("srv/shared"));
        Mkdir("home/user");
        Write("home/user/.profile", "export PS1='$ '\n");
        Assert.Equal(0, LibC.TrySetXattr(P("home/user/.profile"), "user.comment", "hello\0binary\u00ff"u8.ToArray()));
        Tools.Run("chown", "-R", "1000:1000", P("home/user"));
        Tools.Run("chmod", "0700", P("home/user"));
        Write("home/user/big-ids", "x");
        Tools.Run("chown", "3000000:4000000", P("home/user/big-ids"));
        Mkdir("run");
        Tools.Run("mkfifo", "-m", "0600", P("run/fifo"));
        if (withDevices)
        {
            Mkdir("dev");
            Tools.Run("mknod", "-m", "0666", P("dev/null"), "c", "1", "3");
            Tools.Run("mknod", "-m", "0660", P("dev/loop9"), "b", "7", "9");
            Tools.Run("chown", "0:6", P("dev/loop9"));
        }
        var deep = string.Join('/', Enumerable.Range(0, 12).Select(i => $"directory-level-{i:D2}"));
        Mkdir(deep);
        Write(deep + "/a-file-with-a-rather-long-name-that-alone-takes-more-than-one-hundred-bytes-of-the-ustar-name-field.txt", "deep\n");
        Write(deep + "/short", "short\n");
        File.CreateSymbolicLink(P("long-link"), deep + "/short");
        Mkdir("données");
        Write("données/über-ß.txt", "unicode\n");
        Mkdir("readonly");
        Write("readonly/inside", "in a read-only directory\n");
        Tools.Run("chmod", "0555", P("readonly"));
        Write("old", "1970\n");
        Tools.Run("touch", "-d", "@5", P("old"));
        Write("future", "2100\n");
        Tools.Run("touch", "-d", "@4102444800", P("future"));
        Tools.Run("touch", "-h", "-d", "@1700000000", P("lib"));
    }
}

/// <summary>Tars crafted entry by entry with System.Formats.Tar (pax): what our own writer would never produce.</summary>
internal static class CraftedTar
{
    public static Func<TarEntry> File(string name, string content = "x") => () =>
        new PaxTarEntry(TarEntryType.RegularFile, name) { DataStream = new MemoryStream(Encoding.UTF8.GetBytes(content)) };

    public static Func<TarEntry> Dir(string name) => () => new PaxTarEntry(TarEntryType.Directory, name);

    public static Func<TarEntry> Symlink(string name, string target) => () => new PaxTarEntry(TarEntryType.SymbolicLink, name) { LinkName = target };

    public static Func<TarEntry> Hardlink(string name, string target) => () => new PaxTarEntry(TarEntryType.HardLink, name) { LinkName = target };

    /// <summary>The entries written in order, the stream rewound.</summary>
    public static MemoryStream Tar(IEnumerable<Func<TarEntry>> entries)
    {
        var stream = new MemoryStream();
        using (var writer = new TarWriter(stream, leaveOpen: true))
        {
            foreach (var entry in entries)
            {
                writer.WriteEntry(entry());
            }
        }
        stream.Position = 0;
        return stream;
    }
}
