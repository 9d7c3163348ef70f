using System.Formats.Tar;
using Builder.Engine.Semantics;
using Builder.Oci.Layers;
using Builder.Sandbox.Snapshots;

namespace Builder.Engine.Tests;

/// <summary>
/// The COPY planner's rules as tables (issue 14 items 2, 3 and 8), checked against BuildKit's copy (dockerfile2llb's
/// copy actions, solver/llbsolver/file/backend.go, tonistiigi/fsutil copy/copy.go) and the differential cases 80–94.
/// A stage is a directory on disk read as a one-layer <see cref="MergedView"/>; a source is an in-memory tree with the
/// owners and modes a row gives. No root, no runc (so archive rows give --chown: without root, extraction cannot keep
/// the archive's owners).
/// </summary>
/// <remarks>
/// Spec entries, separated by ";": <c>d:path:mode[:uid:gid]</c> a directory, <c>f:path:mode:content[:uid:gid]</c> a
/// file, <c>l:path:target</c> a symlink (owners only for sources). A change is shown as <c>path dir|file|link mode
/// uid:gid</c> (a file with its size, a link with its target), or <c>path kept</c> for a stage directory written with
/// its own metadata; an expected error is <c>!text</c>.
/// </remarks>
public sealed class CopyPlannerTests
{
    private const string Files = "f:a.txt:644:a;f:b.txt:644:bb;d:dir1:700:5:5;f:dir1/one:600:111:5:5;d:dir1/sub:750:5:5;f:dir1/sub/deep:644:dddd:5:5;"
        + "d:dir2:755;f:dir2/two:644:22;l:zlink:dir1";

    /// <summary>Item 2: the directory a copy makes for a directory source is 0755 and root's (or --chown's, --chmod's), never the source's.</summary>
    public static TheoryData<string, string, string, string, string, string> NewDestinationDirectories => new()
    {
        // name, stage, sources, destination, flags (chown=uid:gid chmod=octal extract), expected
        { "a new destination", "", "dir1", "/newdir", "", "newdir dir 755 0:0|newdir/one file 600 5:5 3|newdir/sub dir 750 5:5|newdir/sub/deep file 644 5:5 4" },
        { "a new destination with /", "", "dir1", "/newdir/", "", "newdir dir 755 0:0|newdir/one file 600 5:5 3|newdir/sub dir 750 5:5|newdir/sub/deep file 644 5:5 4" },
        { "new parents too", "", "dir2", "/a/b/c", "", "a dir 755 0:0|a/b dir 755 0:0|a/b/c dir 755 0:0|a/b/c/two file 644 0:0 2" },
        { "--chown owns what it makes", "", "dir2", "/a/c", "chown=7:8", "a dir 755 7:8|a/c dir 755 7:8|a/c/two file 644 7:8 2" },
        { "--chmod sets what it makes", "", "dir1", "/a/c", "chmod=750", "a dir 750 0:0|a/c dir 750 0:0|a/c/one file 750 5:5 3|a/c/sub dir 750 5:5|a/c/sub/deep file 750 5:5 4" },
        { "--chmod's special bits stay off made directories", "", "a.txt", "/s/bin/tool", "chmod=4755", "s dir 755 0:0|s/bin dir 755 0:0|s/bin/tool file 4755 0:0 1" },
        { "an existing destination keeps its own", "d:srv:711", "dir2", "/srv", "", "srv kept|srv/two file 644 0:0 2" },
        { "an existing directory below takes the source's", "d:srv:711;d:srv/sub:711", "dir1", "/srv", "", "srv kept|srv/one file 600 5:5 3|srv/sub dir 750 5:5|srv/sub/deep file 644 5:5 4" },
        { "a file into a new directory", "", "a.txt", "/x/y/", "chown=7:7", "x dir 755 7:7|x/y dir 755 7:7|x/y/a.txt file 644 7:7 1" },
        { "an archive: the destination 0755 whatever --chmod, its entries' modes, --chown's owner", "", "app.tar", "/opt/app", "extract chmod=600 chown=9:9", "opt dir 755 9:9|opt/app dir 755 9:9|opt/app/bin dir 750 9:9|opt/app/bin/run file 755 9:9 4" },
        { "an archive into a path with /: 0755 whatever --chmod", "", "app.tar", "/opt/app/", "extract chown=0:0 chmod=700", "opt dir 755 0:0|opt/app dir 755 0:0|opt/app/bin dir 750 0:0|opt/app/bin/run file 755 0:0 4" },
    };

    /// <summary>Item 3: each source, then each match, is copied onto the destination as the earlier ones left it.</summary>
    public static TheoryData<string, string, string, string, string, string> SeveralSources => new()
    {
        { "two files onto a path without /: the last", "", "a.txt b.txt", "/dest", "", "dest file 644 0:0 2" },
        { "a wildcard's matches onto a path without /: the last", "", "*.txt", "/dest", "", "dest file 644 0:0 2" },
        { "two files into a path with /", "", "a.txt b.txt", "/dest/", "", "dest dir 755 0:0|dest/a.txt file 644 0:0 1|dest/b.txt file 644 0:0 2" },
        { "a wildcard matching nothing beside a file", "", "nomatch* a.txt", "/dest", "", "dest file 644 0:0 1" },
        { "wildcards all matching nothing: no change, no destination", "", "nomatch* *.none", "/dest/", "", "" },
        { "a wildcard after a missing directory", "", "nodir/*", "/dest/", "", "!\"/nodir\" not found" },
        { "a missing path beside a match", "", "missing.txt a.txt", "/dest", "", "!\"/missing.txt\" not found" },
        { "a directory then a file: the file inside", "", "dir2 a.txt", "/dest", "", "dest dir 755 0:0|dest/two file 644 0:0 2|dest/a.txt file 644 0:0 1" },
        { "a file then a directory: BuildKit's error", "", "a.txt dir2", "/dest", "", "!cannot copy to non-directory: /dest" },
        { "two directories merge", "", "dir1 dir2", "/dest", "chown=0:0", "dest dir 755 0:0|dest/one file 600 0:0 3|dest/sub dir 750 0:0|dest/sub/deep file 644 0:0 4|dest/two file 644 0:0 2" },
        { "wildcard directories merge", "", "dir*", "/dest", "chown=1:1", "dest dir 755 1:1|dest/one file 600 1:1 3|dest/sub dir 750 1:1|dest/sub/deep file 644 1:1 4|dest/two file 644 1:1 2" },
        { "a file onto an existing directory goes inside", "d:dest:711", "a.txt", "/dest", "", "dest kept|dest/a.txt file 644 0:0 1" },
        { "a file onto an existing file replaces it", "f:dest:600:old", "b.txt", "/dest", "", "dest file 644 0:0 2" },
        { "a copied file onto a directory of the stage: BuildKit's error", "d:dest:755;d:dest/two:755", "dir2", "/dest", "", "!cannot replace to directory /dest/two with file" },
        { "a link before the first wildcard is followed", "", "zlink/o*", "/dest/", "", "dest dir 755 0:0|dest/one file 600 5:5 3" },
        { "a link at or after the first wildcard is not entered (BuildKit walks)", "", "z*/one", "/dest/", "", "" },
        { "a matched link is followed", "", "z*", "/dest", "", "dest dir 755 0:0|dest/one file 600 5:5 3|dest/sub dir 750 5:5|dest/sub/deep file 644 5:5 4" },
        { "two archives into one directory", "", "app.tar app.tar", "/vendor", "extract chown=0:0", "vendor dir 755 0:0|vendor/bin dir 750 0:0|vendor/bin/run file 755 0:0 4" },
        { "a file then an archive: BuildKit's error", "", "a.txt app.tar", "/vendor", "extract", "!mkdir /vendor: not a directory" },
    };

    /// <summary>Item 8: the destination is resolved inside the stage (continuity's RootPath); links on the way stay.</summary>
    public static TheoryData<string, string, string, string, string, string> DestinationsThroughSymlinks => new()
    {
        { "a parent that is a link", "d:usr:755;d:usr/lib:755;l:lib:usr/lib", "a.txt", "/lib/", "", "usr kept|usr/lib kept|usr/lib/a.txt file 644 0:0 1" },
        { "new directories behind a link", "d:usr:755;d:usr/lib:755;l:lib:usr/lib", "a.txt", "/lib/new/deeper/x", "", "usr kept|usr/lib kept|usr/lib/new dir 755 0:0|usr/lib/new/deeper dir 755 0:0|usr/lib/new/deeper/x file 644 0:0 1" },
        { "a directory through a link", "d:usr:755;d:usr/lib:755;l:lib:usr/lib", "dir2", "/lib/app", "", "usr kept|usr/lib kept|usr/lib/app dir 755 0:0|usr/lib/app/two file 644 0:0 2" },
        { "the destination a link to a file", "f:target:600:old;l:link:/target", "a.txt", "/link", "", "target file 644 0:0 1" },
        { "the destination a link to a directory", "d:real:711;l:link:real", "a.txt", "/link", "", "real kept|real/a.txt file 644 0:0 1" },
        { "the destination a dangling link", "l:dangling:/nowhere/deep", "a.txt", "/dangling", "", "nowhere dir 755 0:0|nowhere/deep file 644 0:0 1" },
        { "a directory onto a dangling link", "l:dangling:/nowhere/deep", "dir2", "/dangling", "", "nowhere dir 755 0:0|nowhere/deep dir 755 0:0|nowhere/deep/two file 644 0:0 2" },
        { "a chain and ../", "d:opt:755;d:opt/releases:755;d:opt/app:755;l:opt/app/current:../releases/v2;l:c1:/c2;l:c2:opt/app/current", "a.txt", "/c1/conf/", "", "opt kept|opt/releases kept|opt/releases/v2 dir 755 0:0|opt/releases/v2/conf dir 755 0:0|opt/releases/v2/conf/a.txt file 644 0:0 1" },
        { "a link climbing above the root stops there", "d:srv:755;d:opt:755;l:opt/up:../../../srv", "a.txt", "/opt/up/", "", "srv kept|srv/a.txt file 644 0:0 1" },
        { "a directory copied onto a link inside the tree: BuildKit's error", "d:usr:755;d:usr/lib:755;l:lib:usr/lib", "rootfs/", "/", "", "!cannot copy to non-directory: /lib" },
        { "a parent that is a file", "d:etc:755;f:etc/file:644:x", "a.txt", "/etc/file/x", "", "!mkdir /etc/file: not a directory" },
        { "an archive extracted behind a link", "d:opt:755;l:opt/current:releases/1.0", "app.tar", "/opt/current/", "extract chown=0:0", "opt kept|opt/releases dir 755 0:0|opt/releases/1.0 dir 755 0:0|opt/releases/1.0/bin dir 750 0:0|opt/releases/1.0/bin/run file 755 0:0 4" },
    };

    [Theory]
    [MemberData(nameof(NewDestinationDirectories))]
    [MemberData(nameof(SeveralSources))]
    [MemberData(nameof(DestinationsThroughSymlinks))]
    public void Plans_the_copy_as_BuildKit(string name, string stage, string sources, string destination, string flags, string expected)
    {
        Assert.NotEmpty(name);
        using var fixture = new Fixture(stage, Files + ";d:rootfs:755;d:rootfs/lib:755;f:rootfs/lib/x:644:x");
        var request = new CopyRequest(sources.Split(' '), destination)
        {
            Chown = Flag(flags, "chown") is { } chown ? (long.Parse(chown.Split(':')[0]), long.Parse(chown.Split(':')[1])) : null,
            Chmod = Flag(flags, "chmod") is { } chmod ? Convert.ToUInt32(chmod, 8) : null,
            ExtractArchives = flags.Split(' ').Contains("extract"),
        };

        if (expected.StartsWith('!'))
        {
            var error = Assert.Throws<BuildException>(() => CopyPlanner.Plan(request, fixture.Source, fixture.Stage));
            Assert.Contains(expected[1..], error.Message, StringComparison.Ordinal);
            return;
        }
        using var plan = CopyPlanner.Plan(request, fixture.Source, fixture.Stage);
        Assert.Equal(expected.Split('|', StringSplitOptions.RemoveEmptyEntries), plan.Changes.Select(fixture.Show));
    }

    /// <summary>The `--link` form plans onto an empty view: nothing to resolve, every parent made.</summary>
    [Fact]
    public void A_linked_copy_makes_its_parents_even_where_the_stage_has_links()
    {
        using var fixture = new Fixture("d:usr:755;d:usr/lib:755;l:lib:usr/lib", Files);

        using var plan = CopyPlanner.Plan(new CopyRequest(["a.txt"], "/lib/"), fixture.Source, MergedView.Empty);

        Assert.Equal(["lib dir 755 0:0", "lib/a.txt file 644 0:0 1"], plan.Changes.Select(fixture.Show));
    }

    public static TheoryData<string, string, string?> Resolutions => new()
    {
        // stage, path, resolved (null: the links loop)
        { "d:usr:755;d:usr/lib:755;l:lib:usr/lib", "lib/x/y", "usr/lib/x/y" },
        { "d:usr:755;d:usr/lib:755;l:lib:/usr/lib", "lib", "usr/lib" },
        { "l:a:/missing/deeper", "a/x", "missing/deeper/x" },
        { "d:srv:755;l:www:/srv/www", "www/html", "srv/www/html" },
        { "d:opt:755;l:opt/up:../../../srv", "opt/up/x", "srv/x" },
        { "d:etc:755", "etc/new/../other", "etc/other" },
        { "l:a:b;l:b:a", "a/x", null },
    };

    /// <summary>The shared resolution COPY/ADD destinations and WORKDIR use (continuity's fs.RootPath inside the image).</summary>
    [Theory]
    [MemberData(nameof(Resolutions))]
    public void Resolves_a_path_to_be_created_inside_the_stage(string stage, string path, string? expected)
    {
        using var fixture = new Fixture(stage, "");

        Assert.Equal(expected, new ViewSourceTree(fixture.Stage).Resolve(path));
    }

    [Fact]
    public void Follow_still_needs_every_parent()
    {
        using var fixture = new Fixture("d:usr:755;l:lib:usr/lib", "");

        Assert.Null(new ViewSourceTree(fixture.Stage).Follow("lib/x/y"));
        Assert.Equal("usr/lib", new ViewSourceTree(fixture.Stage).Follow("lib"));
    }

    private static string? Flag(string flags, string name) =>
        flags.Split(' ').FirstOrDefault(f => f.StartsWith(name + "=", StringComparison.Ordinal))?[(name.Length + 1)..];

    private sealed class Fixture : IDisposable
    {
        private readonly string _root = Directory.CreateTempSubdirectory("copy-planner-").FullName;

        public Fixture(string stage, string source)
        {
            var layer = Directory.CreateDirectory(Path.Combine(_root, "layer")).FullName;
            foreach (var entry in Entries(stage))
            {
                var path = Path.Combine(layer, entry.Path);
                switch (entry.Kind)
                {
                    case 'd':
                        Directory.CreateDirectory(path);
                        File.SetUnixFileMode(path, entry.Mode);
                        break;
                    case 'f':
                        File.WriteAllText(path, entry.Content);
                        File.SetUnixFileMode(path, entry.Mode);
                        break;
                    default:
                        File.CreateSymbolicLink(path, entry.Content);
                        break;
                }
            }
            Stage = new MergedView([layer]);
            Source = new SpecSourceTree(Directory.CreateDirectory(Path.Combine(_root, "source")).FullName, Entries(source));
        }

        public MergedView Stage { get; }

        public ICopySourceTree Source { get; }

        public string Show(LayerChange change)
        {
            var entry = Assert.IsType<LayerEntry>(change);
            var mode = Convert.ToString((int)entry.Mode, 8);
            if (entry.Type == LayerEntryType.Directory && Stage.Lookup("/" + entry.Path) is { IsDirectory: true } existing
                && existing.Permissions == (uint)entry.Mode && existing.Uid == entry.UserId && existing.Gid == entry.GroupId)
            {
                return $"{entry.Path} kept";
            }
            return entry.Type switch
            {
                LayerEntryType.Directory => $"{entry.Path} dir {mode} {entry.UserId}:{entry.GroupId}",
                LayerEntryType.RegularFile => $"{entry.Path} file {mode} {entry.UserId}:{entry.GroupId} {entry.Size}",
                _ => $"{entry.Path} link -> {entry.LinkTarget}",
            };
        }

        public void Dispose() => Directory.Delete(_root, recursive: true);

        private static List<Entry> Entries(string spec) =>
            [.. spec.Split(';', StringSplitOptions.RemoveEmptyEntries).Select(e => e.Split(':')).Select(p => p[0] switch
            {
                "d" => new Entry('d', p[1], Mode(p[2]), "", Owner(p, 3)),
                "f" => new Entry('f', p[1], Mode(p[2]), p[3], Owner(p, 4)),
                _ => new Entry('l', p[1], (UnixFileMode)0b111_111_111, p[2], (0, 0)),
            })];

        private static UnixFileMode Mode(string octal) => (UnixFileMode)Convert.ToInt32(octal, 8);

        private static (long, long) Owner(string[] parts, int index) =>
            parts.Length > index + 1 ? (long.Parse(parts[index]), long.Parse(parts[index + 1])) : (0, 0);
    }

    private sealed record Entry(char Kind, string Path, UnixFileMode Mode, string Content, (long Uid, long Gid) Owner);

    /// <summary>A source tree with the owners and modes a spec gives; files' bytes on disk; an <c>app.tar</c> always there.</summary>
    private sealed class SpecSourceTree : ICopySourceTree
    {
        private readonly Dictionary<string, SourceEntry> _entries = new(StringComparer.Ordinal);

        public SpecSourceTree(string root, IEnumerable<Entry> entries)
        {
            _entries[""] = new SourceEntry("", root, 0x4000 | 0b111_101_101, 0, 0, DateTimeOffset.UnixEpoch, null, 0);
            foreach (var entry in entries)
            {
                var host = System.IO.Path.Combine(root, entry.Path.Replace('/', '_'));
                var type = entry.Kind switch { 'd' => 0x4000u, 'f' => 0x8000u, _ => 0xA000u };
                if (entry.Kind == 'f')
                {
                    File.WriteAllText(host, entry.Content);
                }
                _entries[entry.Path] = new SourceEntry(entry.Path, host, type | (uint)entry.Mode, entry.Owner.Uid, entry.Owner.Gid, DateTimeOffset.UnixEpoch,
                    entry.Kind == 'l' ? entry.Content : null, entry.Kind == 'f' ? new FileInfo(host).Length : 0);
            }
            var archive = System.IO.Path.Combine(root, "app.tar");
            using (var tar = new TarWriter(File.Create(archive), TarEntryFormat.Pax, leaveOpen: false))
            {
                tar.WriteEntry(new PaxTarEntry(TarEntryType.Directory, "bin/") { Mode = (UnixFileMode)0b111_101_000, Uid = 3, Gid = 3 });
                tar.WriteEntry(new PaxTarEntry(TarEntryType.RegularFile, "bin/run") { Mode = (UnixFileMode)0b111_101_101, Uid = 3, Gid = 3, DataStream = new MemoryStream("run\n"u8.ToArray()) });
            }
            _entries["app.tar"] = new SourceEntry("app.tar", archive, 0x8000 | 0b110_100_100, 0, 0, DateTimeOffset.UnixEpoch, null, new FileInfo(archive).Length);
        }

        public SourceEntry? Stat(string path) => _entries.GetValueOrDefault(path);

        public IEnumerable<string> List(string directory) =>
            _entries.Keys.Where(p => p.Length > 0 && (System.IO.Path.GetDirectoryName(p) ?? "") == directory).Select(System.IO.Path.GetFileName).OfType<string>().Order(StringComparer.Ordinal);

        public bool IsIgnored(string path) => false;

        public bool MayIncludeUnder(string directory) => false;

        public string NotFound(string source, string cleaned) => $"failed to compute cache key: \"/{cleaned}\" not found: not found";
    }
}
