using System.Text.Json.Nodes;
using Builder.IntegrationTests.Fixtures;

namespace Builder.IntegrationTests;

/// <summary>
/// COPY and ADD behaviour newer than the differential references' BuildKit (--parents, --link) or outside what a
/// reference can show (errors, host paths): exact expected trees, from BuildKit's documentation and its tests
/// (frontend/dockerfile/dockerfile_parents_test.go, docs/reference.md, the --link issues moby/moby#44956 and
/// docker/buildx#1855).
/// </summary>
public sealed class CopySemanticsTests
{
    internal static async Task<(BuilderCommand Builder, string Context)> BusyboxContextAsync(TempDirectory temp, string dockerfile)
    {
        var rootfs = await BaseRootfs.CreateBusyboxAsync(temp.Combine("busybox"));
        var builder = new BuilderCommand(temp.Combine("store"));
        (await builder.RunAsync("import", rootfs, "-t", "busybox")).EnsureSuccess("builder import");
        var context = Directory.CreateDirectory(temp.Combine("context")).FullName;
        await File.WriteAllTextAsync(Path.Combine(context, "Dockerfile"), dockerfile);
        return (builder, context);
    }

    /// <summary>The image's files below <paramref name="root"/> as "path type mode uid:gid" lines, paths relative to it.</summary>
    internal static async Task<List<string>> TreeAsync(BuilderCommand builder, string image, string root)
    {
        var summary = await ImageSummary.OfLayoutAsync(builder.Root, $"docker.io/library/{image}:latest");
        return [.. summary["fs"]!.AsObject()
            .Where(e => e.Key.StartsWith(root + "/", StringComparison.Ordinal))
            .Select(e => $"{e.Key[(root.Length + 1)..]} {(string)e.Value!["type"]!} {(string)e.Value["mode"]!} {e.Value["uid"]}:{e.Value["gid"]}")];
    }

    internal static async Task<JsonObject?> EntryAsync(BuilderCommand builder, string image, string path)
    {
        var summary = await ImageSummary.OfLayoutAsync(builder.Root, $"docker.io/library/{image}:latest");
        return summary["fs"]![path] as JsonObject;
    }

    [Fact]
    public async Task COPY_parents_keeps_each_matched_path_below_the_context_root_and_the_working_directory()
    {
        using var temp = new TempDirectory();
        var (builder, context) = await BusyboxContextAsync(temp, "FROM busybox\nCOPY --parents foo1/foo2/bar /\nWORKDIR /test\nCOPY --parents foo1/foo2/ba* .\n");
        Directory.CreateDirectory(Path.Combine(context, "foo1", "foo2"));
        File.SetUnixFileMode(Path.Combine(context, "foo1"), (UnixFileMode)Convert.ToInt32("700", 8));
        File.SetUnixFileMode(Path.Combine(context, "foo1", "foo2"), (UnixFileMode)Convert.ToInt32("700", 8));
        await File.WriteAllTextAsync(Path.Combine(context, "foo1", "foo2", "bar"), "testing");
        await File.WriteAllTextAsync(Path.Combine(context, "foo1", "foo2", "baz"), "testing2");

        var build = await builder.RunAsync("build", "-t", "parents", context);

        build.EnsureSuccess("builder build");
        // The directories on the way are copied from the context, with their modes.
        Assert.Equal(["foo2 dir 0o700 0:0", "foo2/bar file 0o644 0:0"], await TreeAsync(builder, "parents", "/foo1"));
        Assert.Equal(["foo1 dir 0o700 0:0", "foo1/foo2 dir 0o700 0:0", "foo1/foo2/bar file 0o644 0:0", "foo1/foo2/baz file 0o644 0:0"],
            await TreeAsync(builder, "parents", "/test"));
    }

    [Fact]
    public async Task COPY_parents_from_a_stage_keeps_only_what_follows_the_pivot_with_wildcards_and_double_stars()
    {
        using var temp = new TempDirectory();
        var (builder, context) = await BusyboxContextAsync(temp, """
            FROM busybox AS base
            WORKDIR /test
            RUN mkdir -p a/b/c/d/e a/b2/c/d/e a/b/c2/d/e a/b/c2/d/e2 \
             && touch a/b/c/d/foo a/b/c/d/e/bay a/b2/c/d/e/bar a/b/c2/d/e/baz a/b/c2/d/e2/baz

            FROM busybox
            COPY --from=base --parents /test/a/b/./c/d /middle/
            COPY --from=base --parents /test/a/b/c/d/. /end/
            COPY --from=base --parents ./test/a/b/c/d /start/
            COPY --from=base --parents /test/a/./b/./c /double/
            COPY --from=base --parents /test/a/./*/c /wildcard/
            COPY --from=base --parents /test/a/b*/./c/**/e /doublewildcard/
            COPY --from=base --parents /test/a/b/c*/./d/**/baz /test/a/b*/./c/**/bar /doubleinputs/
            """);

        var build = await builder.RunAsync("build", "-t", "pivots", context);

        build.EnsureSuccess("builder build");
        string[] d = ["d dir", "d/e dir", "d/e/bay file", "d/foo file"];
        Assert.Equal(["c dir", .. d.Select(p => "c/" + p)], Names(await TreeAsync(builder, "pivots", "/middle")));
        // "/." at the end and "./" at the start are no pivots: the whole path is kept.
        Assert.Equal(Nested("test/a/b/c", d), Names(await TreeAsync(builder, "pivots", "/end")));
        Assert.Equal(Nested("test/a/b/c", d), Names(await TreeAsync(builder, "pivots", "/start")));
        // The first pivot counts; a later "./" is only cleaned away.
        Assert.Equal(Nested("b/c", d), Names(await TreeAsync(builder, "pivots", "/double")));
        Assert.Equal([.. Nested("b/c", d), "b2 dir", "b2/c dir", "b2/c/d dir", "b2/c/d/e dir", "b2/c/d/e/bar file"],
            Names(await TreeAsync(builder, "pivots", "/wildcard")));
        // b and b2 both have c/d/e: the matches merge, each e copied whole.
        Assert.Equal(["c dir", "c/d dir", "c/d/e dir", "c/d/e/bar file", "c/d/e/bay file"], Names(await TreeAsync(builder, "pivots", "/doublewildcard")));
        Assert.Equal(["c dir", "c/d dir", "c/d/e dir", "c/d/e/bar file", "d dir", "d/e dir", "d/e/baz file", "d/e2 dir", "d/e2/baz file"],
            Names(await TreeAsync(builder, "pivots", "/doubleinputs")));

        static List<string> Names(IEnumerable<string> tree) => [.. tree.Select(l => string.Join(' ', l.Split(' ')[..2]))];

        static List<string> Nested(string prefix, IEnumerable<string> below)
        {
            var parts = prefix.Split('/');
            return [.. Enumerable.Range(1, parts.Length).Select(n => string.Join('/', parts[..n]) + " dir"), .. below.Select(p => $"{prefix}/{p}")];
        }
    }

    [Fact]
    public async Task COPY_link_copies_the_same_files_onto_new_parent_directories_that_replace_the_stages_own()
    {
        using var temp = new TempDirectory();
        var (builder, context) = await BusyboxContextAsync(temp, """
            FROM busybox
            RUN mkdir -p /srv/app && chown 65534:65534 /srv /srv/app && chmod 750 /srv && ln -s /usr /usr-link
            COPY --link a.txt /tmp/
            COPY --link --chown=1000:1000 a.txt /srv/app/owned.txt
            COPY --link dir /opt/linked
            COPY dir /opt/plain
            COPY --link a.txt /usr-link/
            """);
        await File.WriteAllTextAsync(Path.Combine(context, "a.txt"), "a\n");
        Directory.CreateDirectory(Path.Combine(context, "dir", "sub"));
        await File.WriteAllTextAsync(Path.Combine(context, "dir", "sub", "f"), "f\n");

        var build = await builder.RunAsync("build", "-t", "linked", context);

        build.EnsureSuccess("builder build");
        // The layer is made on an empty directory: /tmp comes back as a new 0755 directory (moby/moby#44956) ...
        Assert.Equal("0o755", (string)(await EntryAsync(builder, "linked", "/tmp"))!["mode"]!);
        // ... --chown owns the parents it makes too (docker/buildx#1855) ...
        Assert.Equal(["app dir 0o755 1000:1000", "app/owned.txt file 0o644 1000:1000"], await TreeAsync(builder, "linked", "/srv"));
        Assert.Equal("0o755 1000:1000", Describe(await EntryAsync(builder, "linked", "/srv")));
        // ... a symlink in the destination is not followed: the path becomes directories only ...
        Assert.Equal("dir", (string)(await EntryAsync(builder, "linked", "/usr-link"))!["type"]!);
        Assert.Equal("file", (string)(await EntryAsync(builder, "linked", "/usr-link/a.txt"))!["type"]!);
        // ... and the files themselves are what COPY without --link gives.
        Assert.Equal(await TreeAsync(builder, "linked", "/opt/plain"), await TreeAsync(builder, "linked", "/opt/linked"));

    }

    [Fact]
    public async Task A_COPY_link_layer_is_reused_when_a_step_before_it_changes()
    {
        using var temp = new TempDirectory();
        var (builder, context) = await BusyboxContextAsync(temp, "FROM busybox\nRUN echo one > /step\nCOPY --link a.txt /app/\nCOPY b.txt /app/\n");
        await File.WriteAllTextAsync(Path.Combine(context, "a.txt"), "a\n");
        await File.WriteAllTextAsync(Path.Combine(context, "b.txt"), "b\n");
        (await builder.RunAsync("build", "-t", "reuse", "--progress", "plain", context)).EnsureSuccess("first build");
        await File.WriteAllTextAsync(Path.Combine(context, "Dockerfile"), "FROM busybox\nRUN echo two > /step\nCOPY --link a.txt /app/\nCOPY b.txt /app/\n");

        var second = await builder.RunAsync("build", "-t", "reuse", "--progress", "plain", context);
        var seen = await builder.RunAsync("run", "reuse", "cat", "/step", "/app/a.txt", "/app/b.txt");

        second.EnsureSuccess("second build");
        var lines = second.Error.Split('\n');
        var vertex = lines.Single(l => l.Contains("] COPY --link a.txt /app/", StringComparison.Ordinal)).Split(' ')[0];
        Assert.Equal([vertex + " CACHED"], lines.Where(l => l.EndsWith(" CACHED", StringComparison.Ordinal)));
        Assert.Equal("two\na\nb\n", seen.Out);
    }

    [Fact]
    public async Task A_dangling_symlink_named_as_a_source_fails_as_BuildKit_does()
    {
        using var temp = new TempDirectory();
        var (builder, context) = await BusyboxContextAsync(temp, "FROM busybox\nCOPY dangling /x/\n");
        File.CreateSymbolicLink(Path.Combine(context, "dangling"), "missing");

        var build = await builder.RunAsync("build", "-t", "dangling", context);

        Assert.Equal(1, build.ExitCode);
        Assert.Contains("\"/missing\" not found", build.Error);
    }

    [Fact]
    public async Task A_context_symlink_to_a_host_path_is_followed_inside_the_context_only()
    {
        using var temp = new TempDirectory();
        var (builder, context) = await BusyboxContextAsync(temp, "FROM busybox\nCOPY etc-link/hostname-like /x\n");
        var host = Directory.CreateDirectory(temp.Combine("host-etc")).FullName;
        await File.WriteAllTextAsync(Path.Combine(host, "hostname-like"), "host secret\n");
        File.CreateSymbolicLink(Path.Combine(context, "etc-link"), host);

        var outside = await builder.RunAsync("build", "-t", "outside", context);
        // The same absolute path, made inside the context, is what the link names.
        Directory.CreateDirectory(context + host);
        await File.WriteAllTextAsync(Path.Combine(context + host, "hostname-like"), "inside the context\n");
        var inside = await builder.RunAsync("build", "-t", "inside", context);
        var seen = await builder.RunAsync("run", "inside", "cat", "/x");

        Assert.Equal(1, outside.ExitCode);
        Assert.Contains("not found", outside.Error);
        inside.EnsureSuccess("builder build");
        Assert.Equal("inside the context\n", seen.Out);
    }

    [Fact]
    public async Task COPY_exclude_patterns_match_paths_inside_the_copied_directory()
    {
        using var temp = new TempDirectory();
        // Shaped like `COPY --exclude=*.bak ./app ./app` and `COPY --exclude=setup/** prebuildfs/ /` in real Dockerfiles.
        var (builder, context) = await BusyboxContextAsync(temp, "FROM busybox\nCOPY --exclude=*.bak --exclude=setup/** app /app/\nCOPY --exclude=*.txt hom* /home-files/\n");
        Directory.CreateDirectory(Path.Combine(context, "app", "setup", "deep"));
        Directory.CreateDirectory(Path.Combine(context, "app", "sub"));
        foreach (var file in new[] { "app/keep.txt", "app/old.bak", "app/sub/nested.bak", "app/setup/run.sh", "app/setup/deep/x", "home.txt", "homework.md" })
        {
            await File.WriteAllTextAsync(Path.Combine(context, file), file + "\n");
        }

        var build = await builder.RunAsync("build", "-t", "excluded", context);

        build.EnsureSuccess("builder build");
        // "*.bak" is matched from the copied directory, at its top level only (the .dockerignore rules); setup/** empties setup.
        Assert.Equal(["keep.txt", "setup", "sub", "sub/nested.bak"], (await TreeAsync(builder, "excluded", "/app")).Select(l => l.Split(' ')[0]));
        Assert.Equal(["homework.md"], (await TreeAsync(builder, "excluded", "/home-files")).Select(l => l.Split(' ')[0]));
    }

    [Fact]
    public async Task COPY_chmod_sets_the_mode_of_files_and_directories_copied_and_of_the_directories_it_creates()
    {
        using var temp = new TempDirectory();
        // Current BuildKit (tonistiigi/fsutil#228, vendored by moby/buildkit#5788, v0.21): the directories a COPY
        // makes take --chmod's permission bits; BuildKit 0.8 knows no --chmod, so there is no differential reference.
        var (builder, context) = await BusyboxContextAsync(temp, """
            FROM busybox
            RUN mkdir -p /srv/app && chmod 700 /srv
            COPY --chmod=750 dir /new/parent/dir
            COPY --chmod=600 a.txt /new/secret.txt
            COPY --chmod=4755 a.txt /suid/bin/tool
            COPY --link --chmod=640 a.txt /srv/app/linked.txt
            """);
        Directory.CreateDirectory(Path.Combine(context, "dir"));
        await File.WriteAllTextAsync(Path.Combine(context, "dir", "f"), "f\n");
        await File.WriteAllTextAsync(Path.Combine(context, "a.txt"), "a\n");

        var build = await builder.RunAsync("build", "-t", "chmodded", context);

        build.EnsureSuccess("builder build");
        // /new, /new/parent and the destination itself are made with --chmod's mode; an existing /new stays as it is.
        Assert.Equal("0o750 0:0", Describe(await EntryAsync(builder, "chmodded", "/new")));
        Assert.Equal(["parent dir 0o750 0:0", "parent/dir dir 0o750 0:0", "parent/dir/f file 0o750 0:0", "secret.txt file 0o600 0:0"],
            await TreeAsync(builder, "chmodded", "/new"));
        // Directories are made with the permission bits only (Go's Mkdir drops setuid, setgid and sticky); files keep them.
        Assert.Equal("0o755 0:0", Describe(await EntryAsync(builder, "chmodded", "/suid")));
        Assert.Equal(["bin dir 0o755 0:0", "bin/tool file 0o4755 0:0"], await TreeAsync(builder, "chmodded", "/suid"));
        // --link with --chmod is not linked (dockerfile2llb links only without --chmod): the stage's /srv is kept.
        Assert.Equal("0o700 0:0", Describe(await EntryAsync(builder, "chmodded", "/srv")));
        Assert.Equal(["app dir 0o755 0:0", "app/linked.txt file 0o640 0:0"], await TreeAsync(builder, "chmodded", "/srv"));
    }

    [Fact]
    public async Task ADD_of_a_local_archive_chowns_what_it_extracts_and_never_applies_chmod_to_it()
    {
        using var temp = new TempDirectory();
        // Current BuildKit (moby/buildkit#5987, v0.23): unpack passes --chown to the extraction; --chmod is not passed
        // at all, so the archive's modes stay and the destination is made 0755 (--chown's owner).
        var (builder, context) = await BusyboxContextAsync(temp, """
            FROM busybox
            ADD --chown=1000:1000 app.tar /owned/
            ADD --chmod=600 app.tar /unpacked
            """);
        await using (var tar = new System.Formats.Tar.TarWriter(File.Create(Path.Combine(context, "app.tar")), System.Formats.Tar.TarEntryFormat.Pax, leaveOpen: false))
        {
            tar.WriteEntry(new System.Formats.Tar.PaxTarEntry(System.Formats.Tar.TarEntryType.Directory, "bin/") { Mode = (UnixFileMode)Convert.ToInt32("750", 8), Uid = 7, Gid = 7 });
            tar.WriteEntry(new System.Formats.Tar.PaxTarEntry(System.Formats.Tar.TarEntryType.RegularFile, "bin/run") { Mode = (UnixFileMode)Convert.ToInt32("755", 8), Uid = 7, Gid = 7, DataStream = new MemoryStream("run\n"u8.ToArray()) });
            tar.WriteEntry(new System.Formats.Tar.PaxTarEntry(System.Formats.Tar.TarEntryType.RegularFile, "README") { Mode = (UnixFileMode)Convert.ToInt32("644", 8), Uid = 7, Gid = 7, DataStream = new MemoryStream("hi\n"u8.ToArray()) });
        }

        var build = await builder.RunAsync("build", "-t", "unpacked", context);

        build.EnsureSuccess("builder build");
        Assert.Equal("0o755 1000:1000", Describe(await EntryAsync(builder, "unpacked", "/owned")));
        Assert.Equal(["README file 0o644 1000:1000", "bin dir 0o750 1000:1000", "bin/run file 0o755 1000:1000"], await TreeAsync(builder, "unpacked", "/owned"));
        Assert.Equal("0o755 0:0", Describe(await EntryAsync(builder, "unpacked", "/unpacked")));
        Assert.Equal(["README file 0o644 7:7", "bin dir 0o750 7:7", "bin/run file 0o755 7:7"], await TreeAsync(builder, "unpacked", "/unpacked"));
    }

    [Fact]
    public async Task A_dockerignore_exception_with_wildcards_is_found_inside_an_excluded_directory()
    {
        using var temp = new TempDirectory();
        // Current BuildKit walks into an excluded directory whenever an exception has wildcards (tonistiigi/fsutil#108,
        // vendored by moby/buildkit#2486, v0.10); BuildKit 0.8 entered it only for an exception starting with its path.
        var (builder, context) = await BusyboxContextAsync(temp, "FROM busybox\nCOPY . /ctx/\n");
        await File.WriteAllTextAsync(Path.Combine(context, ".dockerignore"), "docs\nvendor/*\n!**/*.keep\n!vendor/*/LICENSE\n");
        foreach (var file in new[] { "docs/a.md", "docs/sub/b.keep", "docs/c.keep", "vendor/lib/x.go", "vendor/lib/LICENSE", "vendor/top.keep", "main.go" })
        {
            Directory.CreateDirectory(Path.GetDirectoryName(Path.Combine(context, file))!);
            await File.WriteAllTextAsync(Path.Combine(context, file), file + "\n");
        }

        var build = await builder.RunAsync("build", "-t", "ignored", context);

        build.EnsureSuccess("builder build");
        // The directories on the way to a re-included file come along (as BuildKit's filtered walk sends them).
        Assert.Equal([".dockerignore", "Dockerfile", "docs", "docs/c.keep", "docs/sub", "docs/sub/b.keep", "main.go", "vendor", "vendor/lib", "vendor/lib/LICENSE", "vendor/top.keep"],
            (await TreeAsync(builder, "ignored", "/ctx")).Select(l => l.Split(' ')[0]));
    }

    [Fact]
    public async Task A_COPY_heredoc_is_a_0644_file_with_variables_expanded_unless_its_delimiter_is_quoted()
    {
        using var temp = new TempDirectory();
        var (builder, context) = await BusyboxContextAsync(temp, "FROM busybox\nENV NAME=world\nCOPY <<EOF /etc/expanded.conf\nhello $NAME\nEOF\nCOPY <<'EOF' /etc/literal.conf\nhello $NAME\nEOF\n");

        var build = await builder.RunAsync("build", "-t", "heredoc", context);
        var seen = await builder.RunAsync("run", "heredoc", "cat", "/etc/expanded.conf", "/etc/literal.conf");

        build.EnsureSuccess("builder build");
        Assert.Equal("hello world\nhello $NAME\n", seen.Out);
        Assert.Equal("0o644", (string)(await EntryAsync(builder, "heredoc", "/etc/expanded.conf"))!["mode"]!);
    }

    internal static string Describe(JsonObject? entry) => $"{(string)entry!["mode"]!} {entry["uid"]}:{entry["gid"]}";
}
