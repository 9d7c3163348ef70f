using System.Text;
using System.Text.Json.Nodes;
using Builder.Oci.Images;

namespace Builder.Oci.Tests.Images;

public sealed class ImageJsonTests
{
    private static readonly Digest LayerDigest = Digest.Parse("sha256:5f70bf18a086007016e948b04aed3b82103a36bea41755b6cddfaf10ace3c6ef");
    private static readonly Digest ConfigDigest = Digest.Parse("sha256:b5b2b2c507a0944348e0303114d8d93aaaa081732b86451d9bce1f432a537bc7");

    private static ImageConfig FullConfig() => new()
    {
        Created = Timestamp.Parse("2015-10-31T22:22:56.015925234Z"),
        Author = "Alyssa P. Hacker <alyspdev@example.com>",
        Architecture = "arm",
        Variant = "v7",
        Os = "linux",
        Config = new ContainerConfig
        {
            User = "alice",
            ExposedPorts = ["8080/tcp", "53/udp"],
            Env = ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "FOO=oci_is_a"],
            Entrypoint = ["/bin/my-app-binary"],
            Cmd = ["--foreground", "--config", "/etc/my-app.d/default.cfg"],
            Volumes = ["/var/job-result-data", "/var/log/my-app-logs"],
            WorkingDir = "/home/alice",
            Labels = new Dictionary<string, string> { ["com.example.project.git.url"] = "https://example.com/project.git", ["b"] = "2", ["a"] = "1" },
            StopSignal = "SIGKILL",
            ArgsEscaped = true,
            Healthcheck = new HealthcheckConfig
            {
                Test = ["CMD-SHELL", "curl -f http://localhost/ || exit 1"],
                Interval = TimeSpan.FromSeconds(30),
                Timeout = TimeSpan.FromSeconds(3),
                StartPeriod = TimeSpan.FromSeconds(5),
                StartInterval = TimeSpan.FromMilliseconds(500),
                Retries = 3,
            },
            OnBuild = ["RUN echo hi"],
            Shell = ["/bin/bash", "-c"],
        },
        RootFs = RootFs.Layers([LayerDigest]),
        History =
        [
            new HistoryEntry { Created = Timestamp.Parse("2015-10-31T22:22:54.690851953Z"), CreatedBy = "/bin/sh -c #(nop) ADD file:a3bc1e842b69636f9df5256c49c5374fb4eef1e281fe3f282c65fb853ee171c5 in /" },
            new HistoryEntry { Created = Timestamp.Parse("2015-10-31T22:22:55.613815829Z"), CreatedBy = "/bin/sh -c #(nop) CMD [\"sh\"]", EmptyLayer = true, Comment = "buildkit.dockerfile.v0", Author = "a" },
        ],
    };

    private static string Text(ReadOnlyMemory<byte> bytes) => Encoding.UTF8.GetString(bytes.Span);

    [Fact]
    public void A_manifest_is_written_compactly_in_spec_order_without_escaping_media_types()
    {
        var manifest = ImageManifest.Oci(new Descriptor(MediaTypes.OciConfig, ConfigDigest, 7023), [new Descriptor(MediaTypes.OciLayerGzip, LayerDigest, 32654)]);

        var blob = OciJson.ToBlob(manifest);

        Assert.Equal(
            """{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"sha256:b5b2b2c507a0944348e0303114d8d93aaaa081732b86451d9bce1f432a537bc7","size":7023},"layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar+gzip","digest":"sha256:5f70bf18a086007016e948b04aed3b82103a36bea41755b6cddfaf10ace3c6ef","size":32654}]}""",
            Text(blob.Bytes));
        Assert.Equal(Descriptor.Of(MediaTypes.OciManifest, blob.Bytes.Span), blob.Descriptor);
    }

    [Fact]
    public void Oci_and_docker_manifests_validate_against_the_manifest_schema()
    {
        var layers = new[] { new Descriptor(MediaTypes.OciLayerGzip, LayerDigest, 32654) { Annotations = new Dictionary<string, string> { ["k"] = "v" } } };
        var oci = ImageManifest.Oci(new Descriptor(MediaTypes.OciConfig, ConfigDigest, 7023), layers) with
        {
            Subject = new Descriptor(MediaTypes.OciManifest, ConfigDigest, 1),
            Annotations = new Dictionary<string, string> { ["org.opencontainers.image.created"] = "2024-01-01T00:00:00Z" },
        };
        var docker = ImageManifest.Docker(new Descriptor(MediaTypes.DockerConfig, ConfigDigest, 7023), [new Descriptor(MediaTypes.DockerLayerGzip, LayerDigest, 32654)]);

        Assert.Null(OciSchemaValidator.Instance.Errors(OciSchemaValidator.Manifest, Text(OciJson.ToBlob(oci).Bytes)));
        Assert.Null(OciSchemaValidator.Instance.Errors(OciSchemaValidator.Manifest, Text(OciJson.ToBlob(docker).Bytes)));
        Assert.Equal(MediaTypes.DockerManifest, OciJson.ToBlob(docker).Descriptor.MediaType);
    }

    [Fact]
    public void Indexes_and_manifest_lists_validate_against_the_index_schema()
    {
        var amd64 = new Descriptor(MediaTypes.OciManifest, ConfigDigest, 7143) { Platform = Platform.Parse("linux/amd64") };
        var arm = new Descriptor(MediaTypes.OciManifest, LayerDigest, 7682) { Platform = Platform.Parse("linux/arm/v7") };

        var index = OciJson.ToBlob(ImageIndex.Oci([amd64, arm]) with { Annotations = new Dictionary<string, string> { ["a"] = "b" } });
        var list = OciJson.ToBlob(ImageIndex.DockerManifestList([amd64 with { MediaType = MediaTypes.DockerManifest }]));

        Assert.Null(OciSchemaValidator.Instance.Errors(OciSchemaValidator.Index, Text(index.Bytes)));
        Assert.Null(OciSchemaValidator.Instance.Errors(OciSchemaValidator.Index, Text(list.Bytes)));
        Assert.Contains("\"platform\":{\"architecture\":\"arm\",\"os\":\"linux\",\"variant\":\"v7\"}", Text(index.Bytes));
    }

    [Fact]
    public void A_config_with_every_field_validates_against_the_config_schema()
    {
        var json = Text(OciJson.ToBlob(FullConfig()).Bytes);

        Assert.Null(OciSchemaValidator.Instance.Errors(OciSchemaValidator.Config, json));
    }

    [Fact]
    public void The_empty_config_of_scratch_validates()
    {
        var json = Text(OciJson.ToBlob(ImageConfig.Empty(Platform.Parse("linux/amd64"))).Bytes);

        Assert.Equal("""{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[]}}""", json);
        Assert.Null(OciSchemaValidator.Instance.Errors(OciSchemaValidator.Config, json));
    }

    [Fact]
    public void The_oci_layout_file_is_the_one_line_the_spec_shows_and_validates()
    {
        var json = Text(OciJson.Serialize(OciLayout.Current, OciJson.Layout));

        Assert.Equal("""{"imageLayoutVersion":"1.0.0"}""", json);
        Assert.Null(OciSchemaValidator.Instance.Errors(OciSchemaValidator.Layout, json));
    }

    [Fact]
    public void Config_uses_docker_names_sets_as_objects_sorted_maps_and_nanosecond_durations()
    {
        var config = JsonNode.Parse(OciJson.ToBlob(FullConfig()).Bytes.Span)!["config"]!;

        Assert.Equal("""{"53/udp":{},"8080/tcp":{}}""", config["ExposedPorts"]!.ToJsonString());
        Assert.Equal("""{"/var/job-result-data":{},"/var/log/my-app-logs":{}}""", config["Volumes"]!.ToJsonString());
        Assert.Equal(["a", "b", "com.example.project.git.url"], config["Labels"]!.AsObject().Select(p => p.Key));
        Assert.Equal(30_000_000_000L, config["Healthcheck"]!["Interval"]!.GetValue<long>());
        Assert.Equal(500_000_000L, config["Healthcheck"]!["StartInterval"]!.GetValue<long>());
        Assert.Equal(
            ["User", "ExposedPorts", "Env", "Entrypoint", "Cmd", "Volumes", "WorkingDir", "Labels", "StopSignal", "ArgsEscaped", "Healthcheck", "OnBuild", "Shell"],
            config.AsObject().Select(p => p.Key));
    }

    [Fact]
    public void History_writes_empty_layer_only_when_true_and_keeps_nanosecond_timestamps()
    {
        var history = JsonNode.Parse(OciJson.ToBlob(FullConfig()).Bytes.Span)!["history"]!.AsArray();

        Assert.Equal("""{"created":"2015-10-31T22:22:54.690851953Z","created_by":"/bin/sh -c #(nop) ADD file:a3bc1e842b69636f9df5256c49c5374fb4eef1e281fe3f282c65fb853ee171c5 in /"}""", history[0]!.ToJsonString());
        Assert.True(history[1]!["empty_layer"]!.GetValue<bool>());
    }

    [Fact]
    public void A_pulled_config_with_fields_we_do_not_model_survives_a_read_write_round_trip()
    {
        const string pulled = """
            {"architecture":"amd64","config":{"Hostname":"","Domainname":"","User":"","AttachStdin":false,"Tty":false,
             "Env":["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"],"Cmd":["sh"],"Image":"sha256:abc",
             "Volumes":null,"WorkingDir":"","Entrypoint":null,"OnBuild":null,"Labels":{}},
             "container":"5a4a3c1ee2b6","container_config":{"Hostname":"5a4a3c1ee2b6","Cmd":["/bin/sh","-c","#(nop) CMD [\"sh\"]"]},
             "created":"2023-07-18T23:19:33.655005962Z","docker_version":"20.10.23",
             "history":[{"created":"2023-07-18T23:19:33.538571854Z","created_by":"/bin/sh -c #(nop) ADD file:7e9002edaafd4e4579b65c8f0aaabde1aeb7fd3f8d95579f7fd3443cef785fd1 in / ","x-extra":1},
                        {"created":"2023-07-18T23:19:33.655005962+02:00","created_by":"/bin/sh -c #(nop)  CMD [\"sh\"]","empty_layer":true}],
             "os":"linux","rootfs":{"type":"layers","diff_ids":["sha256:3d24ee258efc3bfe4066a1a9fb83febf6dc0b1548dfe896161533668281c9f4f"]},
             "moby.buildkit.buildinfo.v1":"eyJmcm9udGVuZCI6ImRvY2tlcmZpbGUudjAifQ=="}
            """;

        var config = OciJson.ParseConfig(Encoding.UTF8.GetBytes(pulled), MediaTypes.DockerConfig);
        var rewritten = OciJson.Serialize(config.Value, OciJson.Config);

        // Nulls are the only thing dropped: Go's omitempty readers treat absent and null alike.
        var expected = JsonNode.Parse(pulled)!;
        foreach (var name in new[] { "Volumes", "Entrypoint", "OnBuild" })
        {
            expected["config"]!.AsObject().Remove(name);
        }
        Assert.True(JsonNode.DeepEquals(expected, JsonNode.Parse(rewritten)), Encoding.UTF8.GetString(rewritten));
        Assert.Equal("20.10.23", config.Value.ExtensionData!["docker_version"].GetString());
        Assert.Equal(["sh"], config.Value.Config!.Cmd!);
    }

    [Fact]
    public void A_parsed_manifest_keeps_its_exact_bytes_and_is_described_by_them()
    {
        var bytes = Encoding.UTF8.GetBytes("""
            {
              "schemaVersion": 2,
              "config": { "mediaType": "application/vnd.oci.image.config.v1+json", "size": 7023, "digest": "sha256:b5b2b2c507a0944348e0303114d8d93aaaa081732b86451d9bce1f432a537bc7" },
              "layers": [],
              "x-vendor": {"kept": true}
            }
            """);

        var blob = OciJson.ParseManifest(bytes, MediaTypes.OciManifest);

        Assert.Equal(Digest.Of(bytes), blob.Digest);
        Assert.Equal(bytes.Length, blob.Descriptor.Size);
        Assert.Equal(MediaTypes.OciManifest, blob.Descriptor.MediaType);
        Assert.True(bytes.AsSpan().SequenceEqual(blob.Bytes.Span));
        Assert.Equal(ConfigDigest, blob.Value.Config.Digest);
        Assert.Contains("\"x-vendor\":{\"kept\":true}", Text(OciJson.Serialize(blob.Value, OciJson.Manifest)));
    }

    [Theory]
    [InlineData("""{"mediaType":"application/vnd.docker.distribution.manifest.list.v2+json","manifests":[]}""", MediaTypes.DockerManifestList)]
    [InlineData("""{"schemaVersion":2,"manifests":[]}""", MediaTypes.OciIndex)]
    [InlineData("""{"schemaVersion":2,"config":{},"layers":[]}""", MediaTypes.OciManifest)]
    [InlineData("""{"architecture":"amd64"}""", null)]
    [InlineData("""not json""", null)]
    public void Document_media_types_are_detected_from_the_member_or_the_shape(string json, string? expected)
    {
        Assert.Equal(expected, OciJson.DetectMediaType(Encoding.UTF8.GetBytes(json)));
    }

    [Theory]
    [InlineData("2015-10-31T22:22:56.015925234Z")]
    [InlineData("2015-10-31T22:22:56Z")]
    [InlineData("2015-10-31T22:22:56.5Z")]
    [InlineData("2015-10-31T22:22:56.000000001-07:30")]
    [InlineData("0001-01-01T00:00:00Z")]
    public void Timestamps_round_trip_as_go_writes_them(string text)
    {
        Assert.Equal(text, Timestamp.Parse(text).ToString());
    }

    [Theory]
    [InlineData("2015-10-31 22:22:56Z")]
    [InlineData("2015-10-31T22:22:56")]
    [InlineData("2015-13-31T22:22:56Z")]
    [InlineData("2015-10-31T22:22:56.Z")]
    public void Malformed_timestamps_are_rejected(string text)
    {
        Assert.False(Timestamp.TryParse(text, out _));
    }

    [Fact]
    public void Timestamps_compare_below_the_tick()
    {
        Assert.True(Timestamp.Parse("2015-10-31T22:22:56.000000001Z").CompareTo(Timestamp.Parse("2015-10-31T22:22:56.000000002Z")) < 0);
        Assert.Equal("1970-01-01T00:00:10Z", Timestamp.FromUnixSeconds(10).ToString());
    }
}
