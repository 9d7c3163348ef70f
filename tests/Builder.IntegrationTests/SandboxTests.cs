using System.Diagnostics;
using Builder.IntegrationTests.Fixtures;
using Builder.Oci.Layers;
using Builder.Sandbox;

namespace Builder.IntegrationTests;

/// <summary>Issue 5: steps run in runc on overlay snapshots, and exactly what they change becomes a layer.</summary>
public sealed class SandboxTests
{
    [Fact]
    public async Task Output_is_streamed_and_the_exit_code_returned()
    {
        await using var sandbox = await SandboxFixture.CreateAsync();

        var (code, output, error, snapshot) = await sandbox.RunAsync(sandbox.BaseLayers, "echo out; echo err >&2; exit 3");
        await snapshot.DisposeAsync();

        Assert.Equal(3, code);
        Assert.Equal("out\n", output);
        Assert.Equal("err\n", error);
    }

    [Fact]
    public async Task Environment_working_directory_and_user_are_applied()
    {
        await using var sandbox = await SandboxFixture.CreateAsync();

        var (code, output, _, snapshot) = await sandbox.RunAsync(sandbox.BaseLayers, "echo \"$GREETING $(pwd) $(id -u):$(id -g) $HOME\"",
            spec => spec with { Env = ["GREETING=hi"], WorkingDirectory = "/srv/app", User = "app" });
        var (numeric, numericOutput, _, second) = await sandbox.RunAsync(sandbox.BaseLayers, "id -u; id -g", spec => spec with { User = "4242:4343" });
        await snapshot.DisposeAsync();
        await second.DisposeAsync();

        Assert.Equal(0, code);
        Assert.Equal("hi /srv/app 1000:1000 /home/app\n", output);
        Assert.Equal(0, numeric);
        Assert.Equal("4242\n4343\n", numericOutput);
    }

    [Fact]
    public async Task An_unknown_user_name_is_a_clear_error()
    {
        await using var sandbox = await SandboxFixture.CreateAsync();

        var error = await Assert.ThrowsAsync<SandboxException>(() => sandbox.RunAsync(sandbox.BaseLayers, "true", spec => spec with { User = "ghost" }));

        Assert.Equal("unable to find user ghost: no matching entries in passwd file", error.Message);
    }

    [Fact]
    public async Task Network_none_has_only_loopback()
    {
        await using var sandbox = await SandboxFixture.CreateAsync();

        var (code, output, _, snapshot) = await sandbox.RunAsync(sandbox.BaseLayers, "tail -n +3 /proc/net/dev | cut -d: -f1 | tr -d ' '",
            spec => spec with { Network = SandboxNetwork.None });
        await snapshot.DisposeAsync();

        Assert.Equal(0, code);
        Assert.Equal("lo\n", output);
    }

    public static TheoryData<string, string, string, bool> DiffCases
    {
        get
        {
            var cases = new TheoryData<string, string, string, bool>();
            foreach (var copy in new[] { false, true })
            {
                foreach (var (name, step, check) in Steps)
                {
                    cases.Add(name, step, check, copy);
                }
            }
            return cases;
        }
    }

    private static readonly (string Name, string Step, string Check)[] Steps =
    [
        // name, the step, what a later step must see (a listing command's output)
        ("create", "echo new > /tmp/new", "cat /tmp/new"),
        ("modify", "echo changed >> /etc/passwd", "tail -n 1 /etc/passwd"),
        ("chmod", "chmod 600 /etc/group", "stat -c %a /etc/group"),
        ("chown", "chown 1000:1000 /etc/group", "stat -c %u:%g /etc/group"),
        ("delete file", "rm /etc/group", "ls /etc/group 2>&1 || echo gone"),
        ("delete dir", "rm -rf /var/tmp", "ls -d /var/tmp 2>&1 || echo gone"),
        ("dir replaced by file", "rm -rf /home && echo file > /home", "cat /home"),
        ("file replaced by dir", "rm /bin/vi && mkdir /bin/vi && echo x > /bin/vi/inner", "cat /bin/vi/inner"),
        ("dir emptied and refilled (opaque)", "rm -rf /bin && mkdir /bin && cp /proc/self/exe /bin/busybox 2>/dev/null; ln -s busybox /bin/sh; ln -s busybox /bin/ls; ln -s busybox /bin/cat", "ls /bin | tr '\\n' ' '"),
        ("hardlink", "echo data > /tmp/a && ln /tmp/a /tmp/b", "stat -c '%h %s' /tmp/b"),
        ("symlink", "ln -s /etc/passwd /tmp/link", "readlink /tmp/link"),
        ("fifo", "mkfifo /tmp/fifo", "stat -c %F /tmp/fifo"),
    ];

    [Theory]
    [MemberData(nameof(DiffCases))]
    public async Task A_step_change_becomes_a_layer_a_later_step_sees_exactly(string name, string step, string check, bool copySnapshotter)
    {
        await using var sandbox = await SandboxFixture.CreateAsync(copy: copySnapshotter);
        var (code, _, error, snapshot) = await sandbox.RunAsync(sandbox.BaseLayers, step);
        Assert.True(code == 0, $"{name}: {error}");
        // What the step itself sees right after its change is the reference.
        var (_, direct, _, again) = await sandbox.RunAsync(sandbox.BaseLayers, $"( {step} ) >/dev/null 2>&1; {check}");

        var layers = await sandbox.CommitAsync(sandbox.BaseLayers, snapshot);
        var (laterCode, later, laterError, third) = await sandbox.RunAsync(layers, check);
        await snapshot.DisposeAsync();
        await again.DisposeAsync();
        await third.DisposeAsync();

        Assert.True(laterCode == 0, $"{name}: {laterError}");
        Assert.Equal(direct, later);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Extended_attributes_a_step_sets_are_kept_in_the_layer(bool copySnapshotter)
    {
        await using var sandbox = await SandboxFixture.CreateAsync(copy: copySnapshotter);
        var (code, _, error, snapshot) = await sandbox.RunAsync(sandbox.BaseLayers, "echo data > /tmp/tagged");
        Assert.True(code == 0, error);
        // busybox has no setfattr: set the attribute on the step's file from outside, where the step wrote it.
        var written = snapshot.Mount switch
        {
            OverlaySnapshotMount overlay => Path.Combine(overlay.UpperDirectory, "tmp", "tagged"),
            DirectorySnapshotMount directory => Path.Combine(directory.Directory, "tmp", "tagged"),
            _ => throw new InvalidOperationException(),
        };
        (await ExternalTool.RunAsync("python3", ["-c", $"import os; os.setxattr('{written}', 'user.test', b'kept')"])).EnsureSuccess("setxattr");

        var diff = await sandbox.Snapshotter.CommitDiffAsync(snapshot, sandbox.Store, new LayerWriterOptions(), CancellationToken.None);
        await snapshot.DisposeAsync();
        var applied = Directory.CreateDirectory(Path.Combine(sandbox.Root, "applied")).FullName;
        await using (var tar = await new Oci.Images.StoredLayer(sandbox.Store, diff!.Compressed, diff.DiffId).OpenUncompressedAsync(CancellationToken.None))
        {
            await LayerApplier.ApplyAsync(tar, applied, null, CancellationToken.None);
        }
        var read = await ExternalTool.RunAsync("python3", ["-c", $"import os; print(os.getxattr('{Path.Combine(applied, "tmp", "tagged")}', 'user.test').decode())"]);

        Assert.Equal("kept", read.EnsureSuccess("getxattr").Out.Trim());
    }

    [Fact]
    public async Task An_unchanged_step_gives_no_layer_and_mount_stubs_never_reach_the_diff()
    {
        await using var sandbox = await SandboxFixture.CreateAsync();
        var secret = Path.Combine(sandbox.Root, "secret");
        Directory.CreateDirectory(sandbox.Root);
        await File.WriteAllTextAsync(secret, "s3cret");
        var cache = Directory.CreateDirectory(Path.Combine(sandbox.Root, "cache")).FullName;

        var (code, output, _, snapshot) = await sandbox.RunAsync(sandbox.BaseLayers, "cat /run/secrets/token; echo cached > /var/cache/app/file",
            spec => spec with { Mounts = [new BindMount("/run/secrets/token", secret, ReadOnly: true), new BindMount("/var/cache/app", cache, ReadOnly: false), new TmpfsMount("/scratch")] });
        var diff = await sandbox.Snapshotter.CommitDiffAsync(snapshot, sandbox.Store, new LayerWriterOptions(), CancellationToken.None);
        await snapshot.DisposeAsync();

        Assert.Equal(0, code);
        Assert.Equal("s3cret", output);
        Assert.Null(diff);
        Assert.Equal("cached\n", await File.ReadAllTextAsync(Path.Combine(cache, "file")));
    }

    [Fact]
    public async Task Cancelling_a_long_step_leaves_no_process_mount_or_directory_behind()
    {
        await using var sandbox = await SandboxFixture.CreateAsync();
        var mountsBefore = await File.ReadAllTextAsync("/proc/self/mountinfo");
        using var cancel = new CancellationTokenSource(TimeSpan.FromSeconds(2));
        var clock = Stopwatch.StartNew();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => sandbox.RunAsync(sandbox.BaseLayers, "sleep 1000 & echo started; wait", cancellationToken: cancel.Token));

        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(20), $"took {clock.Elapsed}");
        var list = await ExternalTool.RunAsync("runc", ["--root", Path.Combine(sandbox.Root, "run", "runc"), "list", "-q"]);
        Assert.Equal("", list.Out.Trim());
        Assert.Empty(Directory.EnumerateDirectories(Path.Combine(sandbox.Root, "run", "bundles")));
        var pgrep = await ExternalTool.RunAsync("pgrep", ["-f", "sleep 1000"]);
        Assert.Equal("", pgrep.Out.Trim());
        var mountsAfter = await File.ReadAllTextAsync("/proc/self/mountinfo");
        Assert.DoesNotContain(sandbox.Root, mountsAfter);
        Assert.Equal(mountsBefore.Split('\n').Length, mountsAfter.Split('\n').Length);
    }
}
