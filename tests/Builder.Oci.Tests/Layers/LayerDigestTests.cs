using System.Formats.Tar;
using System.Security.Cryptography;
using Builder.Oci.Layers;

namespace Builder.Oci.Tests.Layers;

public sealed class LayerDigestTests : IDisposable
{
    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    /// <summary>A tree of several MiB so a layer spans many 1 MiB chunks, with both compressible and random content.</summary>
    private string CreateTree(string name)
    {
        var root = _temp.Sub(name);
        var random = new Random(42);
        for (var d = 0; d < 6; d++)
        {
            var directory = Directory.CreateDirectory(Path.Combine(root, $"dir{d}")).FullName;
            for (var f = 0; f < 25; f++)
            {
                var bytes = new byte[random.Next(0, 200_000)];
                if (f % 3 == 0)
                {
                    random.NextBytes(bytes);
                }
                else
                {
                    for (var i = 0; i < bytes.Length; i++)
                    {
                        bytes[i] = (byte)"abcdefgh ijk\n"[random.Next(13)];
                    }
                }
                File.WriteAllBytes(Path.Combine(directory, $"file{f}.txt"), bytes);
            }
        }
        File.CreateSymbolicLink(Path.Combine(root, "link"), "dir0/file1.txt");
        return root;
    }

    private async Task<(LayerDescriptor Layer, string File)> Write(string tree, LayerWriterOptions options, string name)
    {
        var file = Path.Combine(_temp.Path, name);
        await using var output = File.Create(file);
        return (await LayerWriter.WriteDirectoryAsync(tree, output, options, CancellationToken.None), file);
    }

    [Theory]
    [InlineData(LayerCompression.Gzip, "gzip")]
    [InlineData(LayerCompression.Zstd, "zstd")]
    public async Task Digest_size_and_diffID_match_an_independent_computation(LayerCompression compression, string tool)
    {
        var tree = CreateTree("tree");

        var (layer, file) = await Write(tree, new LayerWriterOptions { Compression = compression }, "layer");

        var bytes = await File.ReadAllBytesAsync(file);
        Assert.Equal("sha256:" + Convert.ToHexStringLower(SHA256.HashData(bytes)), layer.Compressed.Digest.ToString());
        Assert.Equal(bytes.Length, layer.Compressed.Size);
        var external = Tools.Shell($"{tool} -dc '{file}' | sha256sum | cut -d' ' -f1").Trim();
        Assert.Equal("sha256:" + external, layer.DiffId.ToString());
        Assert.Equal(layer.UncompressedSize.ToString(System.Globalization.CultureInfo.InvariantCulture), Tools.Shell($"{tool} -dc '{file}' | wc -c").Trim());
        Assert.True(layer.UncompressedSize > 5 * LayerOutput.ChunkSize);
        Assert.Equal(compression == LayerCompression.Gzip ? MediaTypes.OciLayerGzip : MediaTypes.OciLayerZstd, layer.Compressed.MediaType);
    }

    [Fact]
    public async Task An_uncompressed_layer_has_its_diffID_as_digest()
    {
        var tree = CreateTree("tree");

        var (layer, file) = await Write(tree, new LayerWriterOptions { Compression = LayerCompression.None }, "layer.tar");

        Assert.Equal("sha256:" + Tools.Run("sha256sum", file)[..64], layer.DiffId.ToString());
        Assert.Equal(layer.DiffId, layer.Compressed.Digest);
        Assert.Equal(MediaTypes.OciLayer, layer.Compressed.MediaType);
        Assert.Equal(new FileInfo(file).Length, layer.UncompressedSize);
    }

    [Theory]
    [InlineData(LayerCompression.Gzip)]
    [InlineData(LayerCompression.Zstd)]
    [InlineData(LayerCompression.None)]
    public async Task Decompression_detects_the_format_and_gives_back_the_tar_of_the_diffID(LayerCompression compression)
    {
        var tree = CreateTree("tree");
        var (layer, file) = await Write(tree, new LayerWriterOptions { Compression = compression }, "layer");

        await using var tar = await LayerDecompression.OpenUncompressedAsync(File.OpenRead(file), CancellationToken.None);
        var hash = await SHA256.HashDataAsync(tar);

        Assert.Equal(layer.DiffId.Hex, Convert.ToHexStringLower(hash));
        Assert.Equal(compression, LayerDecompression.Detect((await File.ReadAllBytesAsync(file)).AsSpan(0, 4)));
    }

    [Fact]
    public async Task The_same_tree_gives_the_same_digests_and_any_thread_count_gives_the_same_bytes()
    {
        var tree = CreateTree("tree");
        var results = new List<LayerDescriptor>();
        foreach (var threads in new[] { 1, 2, 3, 8 })
        {
            results.Add((await Write(tree, new LayerWriterOptions { MaxDegreeOfParallelism = threads }, $"gzip-{threads}")).Layer);
        }
        var zstd = new List<LayerDescriptor>();
        foreach (var threads in new[] { 1, 2, 4 })
        {
            zstd.Add((await Write(tree, new LayerWriterOptions { Compression = LayerCompression.Zstd, MaxDegreeOfParallelism = threads }, $"zstd-{threads}")).Layer);
        }

        Assert.Single(results.Distinct());
        Assert.Single(zstd.Distinct());
        Assert.Equal(results[0].DiffId, zstd[0].DiffId);
    }

    [Fact]
    public async Task SOURCE_DATE_EPOCH_makes_trees_created_at_different_times_identical()
    {
        var first = CreateTree("first");
        Tools.Run("touch", "-d", "@1600000000", Path.Combine(first, "dir3/file3.txt"));
        var second = _temp.Sub("second");
        Tools.Shell($"cp -a '{first}/.' '{second}/' && find '{second}' -exec touch -h -d '@1800000000' {{}} + && touch -d @1600000000 '{second}/dir3/file3.txt'");
        var epoch = DateTimeOffset.FromUnixTimeSeconds(1700000000);
        var options = new LayerWriterOptions { SourceDateEpoch = epoch };

        var (a, fileA) = await Write(first, options, "a");
        var (b, _) = await Write(second, options, "b");
        var (unclamped, _) = await Write(second, new LayerWriterOptions(), "c");

        Assert.Equal(a, b);
        Assert.NotEqual(a.DiffId, unclamped.DiffId);
        await using var tar = await LayerDecompression.OpenUncompressedAsync(File.OpenRead(fileA), CancellationToken.None);
        using var reader = new TarReader(tar);
        var times = new Dictionary<string, long>();
        while (reader.GetNextEntry() is { } entry)
        {
            times[entry.Name] = entry.ModificationTime.ToUnixTimeSeconds();
        }
        Assert.Equal(1600000000, times["dir3/file3.txt"]);
        Assert.All(times.Where(t => t.Key != "dir3/file3.txt"), t => Assert.Equal(1700000000, t.Value));
    }

    [Theory]
    [InlineData("1700000000", 1700000000L)]
    [InlineData("0", 0L)]
    [InlineData("", null)]
    [InlineData(null, null)]
    public void SOURCE_DATE_EPOCH_is_a_number_of_seconds(string? text, long? seconds)
    {
        Assert.Equal(seconds, LayerWriterOptions.ParseSourceDateEpoch(text)?.ToUnixTimeSeconds());
    }

    [Theory]
    [InlineData("yesterday")]
    [InlineData("-5")]
    [InlineData("1.5")]
    public void A_malformed_SOURCE_DATE_EPOCH_is_an_error(string text)
    {
        Assert.Throws<FormatException>(() => LayerWriterOptions.ParseSourceDateEpoch(text));
    }

    [Fact]
    public async Task An_empty_change_set_is_an_empty_tar_in_a_valid_gzip()
    {
        var file = Path.Combine(_temp.Path, "empty.tar.gz");
        LayerDescriptor layer;
        await using (var output = File.Create(file))
        {
            layer = await LayerWriter.WriteAsync([], output, null, CancellationToken.None);
        }

        Assert.Equal(1024, layer.UncompressedSize);
        Assert.Equal("sha256:" + Convert.ToHexStringLower(SHA256.HashData(new byte[1024])), layer.DiffId.ToString());
        Assert.Equal(string.Empty, Tools.Run("tar", "-tzf", file));
    }

    [Fact]
    public async Task Layer_headers_carry_no_atime_ctime_or_user_names()
    {
        var tree = CreateTree("tree");
        var (_, file) = await Write(tree, new LayerWriterOptions { Compression = LayerCompression.None }, "layer.tar");

        // Pax records appear only when needed, and never for times or names.
        var listing = Tools.Run("tar", "--numeric-owner", "--full-time", "-tvf", file);
        Assert.DoesNotContain("PaxHeaders", listing, StringComparison.Ordinal);
        var raw = await File.ReadAllBytesAsync(file);
        Assert.Equal(-1, raw.AsSpan().IndexOf("atime="u8));
        Assert.Equal(-1, raw.AsSpan().IndexOf("ctime="u8));
        Assert.Equal(-1, raw.AsSpan().IndexOf("root"u8));
    }
}
