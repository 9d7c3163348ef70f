using Builder.Engine.Solver;
using Builder.Oci;

namespace Builder.Engine.Tests;

/// <summary>
/// A RUN for a foreign platform needs a QEMU handler in binfmt_misc, enabled and with the F flag; without one the build
/// fails before any step runs, with one line naming what is missing and how to install it. The handlers are read from
/// a directory laid out as binfmt_misc is (a <c>status</c> file, one file per handler).
/// </summary>
public sealed class BinfmtEmulatorsTests : IDisposable
{
    private readonly string _binfmt = Directory.CreateTempSubdirectory("binfmt-").FullName;
    private readonly TestEngine _engine = new();

    // A platform this machine does not run natively, and QEMU's name for it.
    private static readonly (string Platform, string Qemu) Foreign = Platform.Host.Architecture == "arm64" ? ("linux/amd64", "x86_64") : ("linux/arm64", "aarch64");

    public void Dispose()
    {
        _engine.Dispose();
        Directory.Delete(_binfmt, recursive: true);
    }

    private BinfmtEmulators Mounted(string? handler = null)
    {
        File.WriteAllText(Path.Combine(_binfmt, "status"), "enabled\n");
        if (handler is not null)
        {
            File.WriteAllText(Path.Combine(_binfmt, $"qemu-{Foreign.Qemu}"), handler);
        }
        return new BinfmtEmulators(_binfmt);
    }

    [Fact]
    public void The_machines_own_platform_needs_nothing() =>
        Assert.Null(new BinfmtEmulators(_binfmt).Missing(Platform.Host));

    [Fact]
    public void Without_binfmt_misc_mounted_the_reason_says_how_to_mount_it() =>
        Assert.Equal($"RUN for {Foreign.Platform} needs QEMU, and binfmt_misc is not mounted at {_binfmt} "
            + $"(mount -t binfmt_misc binfmt_misc {_binfmt}, then install qemu-user-static, which registers qemu-{Foreign.Qemu} with the F flag)",
            new BinfmtEmulators(_binfmt).Missing(Platform.Parse(Foreign.Platform)));

    [Theory]
    [InlineData(null, "no binfmt_misc handler for QEMU")]
    [InlineData("disabled\ninterpreter /usr/libexec/qemu-binfmt/QEMU-binfmt-P\nflags: F\n", "is disabled")]
    [InlineData("enabled\ninterpreter /usr/libexec/qemu-binfmt/QEMU-binfmt-P\nflags: P\n", "lacks the F flag")]
    public void A_missing_disabled_or_unfixed_handler_is_named(string? handler, string reason)
    {
        var missing = Mounted(handler?.Replace("QEMU", Foreign.Qemu, StringComparison.Ordinal)).Missing(Platform.Parse(Foreign.Platform));

        Assert.Contains(reason.Replace("QEMU", Foreign.Qemu, StringComparison.Ordinal), missing, StringComparison.Ordinal);
    }

    [Fact]
    public void An_enabled_handler_with_the_F_flag_runs_the_platform() =>
        Assert.Null(Mounted($"enabled\ninterpreter /usr/libexec/qemu-binfmt/{Foreign.Qemu}-binfmt-P\nflags: POCF\noffset 0\n").Missing(Platform.Parse(Foreign.Platform)));

    [Fact]
    public async Task A_foreign_RUN_without_a_handler_fails_before_any_step_at_the_RUNs_line()
    {
        _engine.Emulators = Mounted();

        var error = await Assert.ThrowsAsync<BuildException>(() => _engine.BuildAsync($"FROM --platform={Foreign.Platform} scratch AS app\nLABEL a=b\nRUN true\n"));

        Assert.Equal($"Dockerfile:3: RUN for {Foreign.Platform} needs QEMU: no binfmt_misc handler for {Foreign.Qemu} "
            + $"(install qemu-user-static, which registers qemu-{Foreign.Qemu} with the F flag)", error.Message);
        Assert.Empty(_engine.LastEvents.OfType<VertexStarted>());
    }

    [Fact]
    public async Task A_foreign_stage_without_RUN_and_a_native_stage_with_RUN_need_no_emulator()
    {
        _engine.Emulators = Mounted();
        _engine.WriteFile("a.txt", "a");

        var (image, _) = await _engine.BuildAsync($"FROM --platform={Foreign.Platform} scratch\nCOPY a.txt /a.txt\n");

        Assert.Single(image.RootFs.DiffIds);
    }
}
