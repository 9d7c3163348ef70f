using Builder.Cache;

namespace Builder.Cache.Tests;

public sealed class CacheSpecTests
{
    [Fact]
    public void A_registry_ref_with_a_tag_names_the_repository_and_the_tag_prefix()
    {
        var spec = CacheSpecParser.ParseTo("type=registry,ref=localhost:5000/app/cache:main,mode=max");
        Assert.Equal("localhost:5000/app/cache", spec.Reference!.ToString());
        Assert.Equal("main", spec.Tag);
        Assert.Equal(CacheExportMode.Max, spec.Mode);
        Assert.Null(spec.Directory);
    }

    [Fact]
    public void A_ref_without_a_tag_uses_the_default_prefix_even_when_the_registry_has_a_port()
    {
        var spec = CacheSpecParser.ParseFrom("type=registry,ref=localhost:5000/cache");
        Assert.Equal(CacheSpec.DefaultTag, spec.Tag);
        Assert.Null(spec.Reference!.Tag);
    }

    [Fact]
    public void An_explicit_latest_tag_is_kept()
    {
        Assert.Equal("latest", CacheSpecParser.ParseFrom("type=registry,ref=localhost:5000/cache:latest").Tag);
    }

    [Fact]
    public void A_bare_reference_is_a_registry_cache_as_in_buildx()
    {
        var spec = CacheSpecParser.ParseFrom("ghcr.io/org/app:buildcache");
        Assert.Equal("ghcr.io/org/app", spec.Reference!.ToString());
        Assert.Equal("buildcache", spec.Tag);
    }

    [Fact]
    public void Defaults_are_mode_min_without_cache_mounts_capped_at_one_GiB()
    {
        var spec = CacheSpecParser.ParseTo("type=registry,ref=r.example/c");
        Assert.Equal(CacheExportMode.Min, spec.Mode);
        Assert.False(spec.CacheMounts);
        Assert.Equal(1L << 30, spec.CacheMountsMax);
    }

    [Theory]
    [InlineData("512", 512L)]
    [InlineData("100k", 100L << 10)]
    [InlineData("2g", 2L << 30)]
    [InlineData("1.5GiB", 3L << 29)]
    [InlineData("500MB", 500_000_000L)]
    [InlineData("64 MiB", 64L << 20)]
    public void Cache_mount_options_are_parsed(string size, long bytes)
    {
        var spec = CacheSpecParser.ParseTo($"type=registry,ref=r.example/c,cache-mounts=true,cache-mounts-max={size}");
        Assert.True(spec.CacheMounts);
        Assert.Equal(bytes, spec.CacheMountsMax);
    }

    [Fact]
    public void Local_import_reads_src_and_export_writes_dest_as_absolute_directories()
    {
        var from = CacheSpecParser.ParseFrom("type=local,src=cache-dir");
        var to = CacheSpecParser.ParseTo("type=local,dest=/tmp/cache-out");
        Assert.Equal(Path.GetFullPath("cache-dir"), from.Directory);
        Assert.Equal("/tmp/cache-out", to.Directory);
        Assert.Null(to.Reference);
        Assert.Equal("/tmp/cache-out", to.Display);
    }

    [Fact]
    public void Buildx_options_that_mean_nothing_here_are_accepted()
    {
        var spec = CacheSpecParser.ParseTo("type=registry,ref=r.example/c,mode=max,image-manifest=true,oci-mediatypes=true,ignore-error=true");
        Assert.Equal(CacheExportMode.Max, spec.Mode);
    }

    [Theory]
    [InlineData("", "--cache-to: the value is empty")]
    [InlineData("type=gha", "type 'gha' is not registry or local")]
    [InlineData("ref=r.example/c", "type= is missing")]
    [InlineData("type=registry", "type=registry needs ref=")]
    [InlineData("type=registry,ref=r.example/c,mode=all", "mode=all is not min or max")]
    [InlineData("type=registry,ref=r.example/c,cache-mounts=yes", "cache-mounts=yes is not true or false")]
    [InlineData("type=registry,ref=r.example/c,cache-mounts-max=lots", "cache-mounts-max=lots is not a size")]
    [InlineData("type=registry,ref=r.example/c,cache-mounts-max=0", "cache-mounts-max=0 is not a size")]
    [InlineData("type=registry,ref=r.example/c,colour=blue", "unknown field colour")]
    [InlineData("type=registry,ref=r.example/c,mode", "'mode' is not key=value")]
    [InlineData("type=registry,ref=r.example/c,mode=min,mode=max", "mode= is given twice")]
    [InlineData("type=registry,ref=R.example/Upper", "ref=R.example/Upper: invalid image reference")]
    [InlineData("type=registry,ref=r.example/c@sha256:0000000000000000000000000000000000000000000000000000000000000000", "not a digest")]
    [InlineData("type=registry,ref=r.example/c,dest=/tmp/x", "src= and dest= are for type=local")]
    [InlineData("type=local,src=/tmp/x", "type=local writes to dest=, not src=")]
    [InlineData("type=local", "type=local needs dest=DIR")]
    [InlineData("type=local,dest=/tmp/x,ref=r.example/c", "ref= is for type=registry")]
    public void Bad_export_values_are_one_line_errors_naming_the_field(string value, string message)
    {
        var error = Assert.Throws<FormatException>(() => CacheSpecParser.ParseTo(value));
        Assert.Contains(message, error.Message);
        Assert.StartsWith("--cache-to: ", error.Message);
        Assert.DoesNotContain('\n', error.Message);
    }

    [Theory]
    [InlineData("type=local,dest=/tmp/x", "type=local reads from src=, not dest=")]
    [InlineData("type=local,src=", "type=local needs src=DIR")]
    public void Bad_import_values_name_the_import_flag(string value, string message)
    {
        var error = Assert.Throws<FormatException>(() => CacheSpecParser.ParseFrom(value));
        Assert.Equal($"--cache-from: {message}", error.Message);
    }

    [Fact]
    public void A_tag_prefix_must_leave_room_for_the_entry_suffix()
    {
        var longest = new string('t', CacheEntries.MaxTagPrefix);
        Assert.Equal(longest, CacheSpecParser.ParseTo($"type=registry,ref=r.example/c:{longest}").Tag);
        var error = Assert.Throws<FormatException>(() => CacheSpecParser.ParseTo($"type=registry,ref=r.example/c:{longest}t"));
        Assert.Contains($"at most {CacheEntries.MaxTagPrefix}", error.Message);
        // The longest entry tag still is a valid tag (at most 128 characters).
        Assert.True(CacheEntries.MountTag(longest, "id").Length <= 128);
    }
}
