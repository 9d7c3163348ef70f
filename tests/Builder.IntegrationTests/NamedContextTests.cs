using Builder.IntegrationTests.Fixtures;

namespace Builder.IntegrationTests;

/// <summary>
/// <c>--build-context</c> (issue 20): a local directory, a <c>docker-image://</c> reference and an <c>oci-layout://</c>
/// directory each replace what <c>FROM NAME</c> or <c>COPY --from=NAME</c> reads, checked against the tree the build
/// exports; a stage of the same name is not replaced.
/// </summary>
public sealed class NamedContextTests
{
    [Fact]
    public async Task Each_kind_of_named_context_replaces_the_references_of_its_name()
    {
        using var temp = new TempDirectory();
        var builder = new BuilderCommand(temp.Combine("store"));
        (await builder.RunAsync("import", await BaseRootfs.CreateBusyboxAsync(temp.Combine("rootfs")), "-t", "local-base")).EnsureSuccess("import");
        // An image only an OCI layout on disk holds.
        var layoutRoot = Directory.CreateDirectory(temp.Combine("layout-rootfs")).FullName;
        await File.WriteAllTextAsync(Path.Combine(layoutRoot, "layout.txt"), "from the layout\n");
        (await builder.RunAsync("import", layoutRoot, "-t", "layout-only:v1")).EnsureSuccess("import layout image");
        (await builder.RunAsync("save", "--format", "oci", "-o", temp.Combine("layout.tar"), "layout-only:v1")).EnsureSuccess("save");
        (await builder.RunAsync("rmi", "layout-only:v1")).EnsureSuccess("rmi");
        var layout = Directory.CreateDirectory(temp.Combine("layout")).FullName;
        (await ExternalTool.RunAsync("tar", ["-xf", temp.Combine("layout.tar"), "-C", layout])).EnsureSuccess("untar");
        var files = Directory.CreateDirectory(temp.Combine("files")).FullName;
        await File.WriteAllTextAsync(Path.Combine(files, "a.txt"), "from a directory\n");
        var rootDir = Directory.CreateDirectory(temp.Combine("rootdir")).FullName;
        await File.WriteAllTextAsync(Path.Combine(rootDir, "r.txt"), "a directory as a base\n");
        var context = Directory.CreateDirectory(temp.Combine("context")).FullName;
        await File.WriteAllTextAsync(Path.Combine(context, "Dockerfile"), """
            FROM nobody-has-this:1 AS base
            RUN echo from-base > /marker
            FROM rootdir AS fromdir
            FROM scratch AS files
            COPY --from=base /marker /stage-file
            FROM scratch
            COPY --from=base /marker /marker
            COPY --from=files /stage-file /stage-file
            COPY --from=dircontext /a.txt /dir/a.txt
            COPY --from=layout /layout.txt /layout.txt
            COPY --from=fromdir /r.txt /r.txt
            """);
        var output = temp.Combine("out");

        var build = await builder.RunAsync("build", "-o", $"type=local,dest={output}",
            "--build-context", "nobody-has-this:1=docker-image://local-base",
            "--build-context", $"files={files}",
            "--build-context", $"dircontext={files}",
            "--build-context", $"layout=oci-layout://{layout}:v1",
            "--build-context", $"rootdir={rootDir}",
            context);

        build.EnsureSuccess("build with named contexts");
        Assert.Equal("from-base\n", await File.ReadAllTextAsync(Path.Combine(output, "marker")));
        Assert.Equal("from a directory\n", await File.ReadAllTextAsync(Path.Combine(output, "dir", "a.txt")));
        // "files" names a stage of the Dockerfile too: a stage is not replaced.
        Assert.Equal("from-base\n", await File.ReadAllTextAsync(Path.Combine(output, "stage-file")));
        Assert.Equal("from the layout\n", await File.ReadAllTextAsync(Path.Combine(output, "layout.txt")));
        Assert.Equal("a directory as a base\n", await File.ReadAllTextAsync(Path.Combine(output, "r.txt")));
    }

    [Fact]
    public async Task A_directory_context_is_copied_from_as_the_build_context_is_and_changes_invalidate_the_step()
    {
        using var temp = new TempDirectory();
        var builder = new BuilderCommand(temp.Combine("store"));
        var files = Directory.CreateDirectory(temp.Combine("files")).FullName;
        await File.WriteAllTextAsync(Path.Combine(files, "a.txt"), "one\n");
        await File.WriteAllTextAsync(Path.Combine(files, "secret.txt"), "ignored\n");
        await File.WriteAllTextAsync(Path.Combine(files, ".dockerignore"), "secret.txt\n");
        var context = Directory.CreateDirectory(temp.Combine("context")).FullName;
        await File.WriteAllTextAsync(Path.Combine(context, "Dockerfile"), "FROM scratch\nCOPY --from=files . /files/\n");
        var output = temp.Combine("out");
        string[] Build() => ["build", "-o", $"type=local,dest={output}", "--build-context", $"files={files}", context];

        (await builder.RunAsync(Build())).EnsureSuccess("build");
        Assert.Equal("one\n", await File.ReadAllTextAsync(Path.Combine(output, "files", "a.txt")));
        Assert.False(File.Exists(Path.Combine(output, "files", "secret.txt")), ".dockerignore of the named context was not applied");

        await File.WriteAllTextAsync(Path.Combine(files, "a.txt"), "two\n");
        Directory.Delete(output, recursive: true);
        (await builder.RunAsync(Build())).EnsureSuccess("build after a change");
        Assert.Equal("two\n", await File.ReadAllTextAsync(Path.Combine(output, "files", "a.txt")));

        var bad = await builder.RunAsync("build", "--build-context", "x=ftp://example", context);
        Assert.Equal(2, bad.ExitCode);
        Assert.Contains("--build-context x: unsupported source ftp://example", bad.Error, StringComparison.Ordinal);
    }
}
