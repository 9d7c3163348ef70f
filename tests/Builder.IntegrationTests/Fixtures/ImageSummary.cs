using System.Formats.Tar;
using System.IO.Compression;
using System.Security.Cryptography;
using System.Text.Json.Nodes;

namespace Builder.IntegrationTests.Fixtures;

/// <summary>
/// The summary the differential references hold (the workplace's imgsum.py notion of an image): the config fields
/// a Dockerfile sets, the layer and history counts, and the filesystem after applying every layer's whiteouts.
/// </summary>
public static class ImageSummary
{
    private static readonly string[] ConfigKeys =
        ["Env", "Cmd", "Entrypoint", "WorkingDir", "User", "ExposedPorts", "Volumes", "Labels", "StopSignal", "Healthcheck", "OnBuild", "Shell"];

    /// <summary>The summary of the image <paramref name="refName"/> names in the OCI layout at <paramref name="layout"/>.</summary>
    public static async Task<JsonObject> OfLayoutAsync(string layout, string refName)
    {
        var index = JsonNode.Parse(await File.ReadAllTextAsync(Path.Combine(layout, "index.json")))!;
        var descriptor = index["manifests"]!.AsArray()
            .LastOrDefault(m => (string?)m!["annotations"]?["org.opencontainers.image.ref.name"] == refName)
            ?? throw new InvalidOperationException($"{refName} is not in {layout}");
        var manifest = JsonNode.Parse(await File.ReadAllBytesAsync(BlobPath(layout, descriptor)))!;
        var config = JsonNode.Parse(await File.ReadAllBytesAsync(BlobPath(layout, manifest["config"]!)))!;
        var fs = new SortedDictionary<string, JsonObject>(StringComparer.Ordinal);
        var layers = manifest["layers"]!.AsArray();
        foreach (var layer in layers)
        {
            await ApplyAsync(fs, BlobPath(layout, layer!));
        }
        var c = config["config"] as JsonObject ?? [];
        var conf = new JsonObject();
        foreach (var key in ConfigKeys)
        {
            conf[key] = c[key]?.DeepClone();
        }
        foreach (var key in new[] { "ExposedPorts", "Volumes" })
        {
            var keys = (conf[key] as JsonObject)?.Select(p => p.Key).Order(StringComparer.Ordinal).ToList() ?? [];
            conf[key] = keys.Count == 0 ? null : new JsonArray([.. keys.Select(k => (JsonNode?)k)]);
        }
        if (conf["Labels"] is JsonObject { Count: 0 })
        {
            conf["Labels"] = null;
        }
        conf["author"] = config["author"] is JsonValue author && (string?)author is { Length: > 0 } a ? a : null;
        var files = new JsonObject();
        foreach (var (path, entry) in fs)
        {
            files[path] = entry;
        }
        return new JsonObject
        {
            ["config"] = conf,
            ["fs"] = files,
            ["layers"] = layers.Count,
            ["history"] = (config["history"] as JsonArray)?.Count ?? 0,
        };
    }

    /// <summary>What <paramref name="image"/>'s filesystem adds, changes or removes relative to <paramref name="base"/>.</summary>
    public static JsonObject FilesystemDelta(JsonObject image, JsonObject @base)
    {
        var delta = new JsonObject();
        var baseFs = @base["fs"]!.AsObject();
        var imageFs = image["fs"]!.AsObject();
        foreach (var (path, entry) in imageFs)
        {
            if (!JsonNode.DeepEquals(baseFs[path], entry))
            {
                delta[path] = entry!.DeepClone();
            }
        }
        foreach (var (path, _) in baseFs)
        {
            if (!imageFs.ContainsKey(path))
            {
                delta[path] = "removed";
            }
        }
        return delta;
    }

    private static string BlobPath(string layout, JsonNode descriptor)
    {
        var digest = ((string)descriptor["digest"]!).Split(':');
        return Path.Combine(layout, "blobs", digest[0], digest[1]);
    }

    private static async Task ApplyAsync(SortedDictionary<string, JsonObject> fs, string layerPath)
    {
        var entries = new List<(string Name, TarEntry Entry, byte[]? Data)>();
        await using (var file = File.OpenRead(layerPath))
        {
            var magic = new byte[2];
            await file.ReadExactlyAsync(magic);
            file.Position = 0;
            Stream tar = magic is [0x1f, 0x8b] ? new GZipStream(file, CompressionMode.Decompress) : file;
            await using var reader = new TarReader(tar);
            while (await reader.GetNextEntryAsync(copyData: true) is { } entry)
            {
                byte[]? data = null;
                if (entry.DataStream is { } stream)
                {
                    using var buffer = new MemoryStream();
                    await stream.CopyToAsync(buffer);
                    data = buffer.ToArray();
                }
                entries.Add((Normalize(entry.Name), entry, data));
            }
        }
        // Whiteouts first: within a layer they apply to the lower layers only.
        foreach (var (name, _, _) in entries)
        {
            var baseName = Path.GetFileName(name);
            var directory = Path.GetDirectoryName(name)!;
            if (baseName == ".wh..wh..opq")
            {
                RemoveWhere(fs, p => p.StartsWith(directory.TrimEnd('/') + "/", StringComparison.Ordinal));
            }
            else if (baseName.StartsWith(".wh.", StringComparison.Ordinal))
            {
                var victim = Path.Combine(directory, baseName[4..]);
                RemoveWhere(fs, p => p == victim || p.StartsWith(victim + "/", StringComparison.Ordinal));
            }
        }
        foreach (var (name, entry, data) in entries)
        {
            if (Path.GetFileName(name).StartsWith(".wh.", StringComparison.Ordinal) || name == "/")
            {
                continue;
            }
            var e = new JsonObject
            {
                ["mode"] = "0o" + Convert.ToString((int)entry.Mode & 0b111_111_111_111, 8),
                ["uid"] = entry.Uid,
                ["gid"] = entry.Gid,
            };
            switch (entry.EntryType)
            {
                case TarEntryType.Directory:
                    e["type"] = "dir";
                    break;
                case TarEntryType.SymbolicLink:
                    e["type"] = "symlink";
                    e["target"] = entry.LinkName;
                    break;
                case TarEntryType.HardLink:
                    e = fs.TryGetValue(Normalize(entry.LinkName), out var source)
                        ? (JsonObject)source.DeepClone()
                        : new JsonObject { ["type"] = "hardlink-broken", ["target"] = entry.LinkName };
                    break;
                case TarEntryType.RegularFile or TarEntryType.V7RegularFile or TarEntryType.ContiguousFile:
                    e["type"] = "file";
                    e["size"] = data?.Length ?? 0;
                    e["sha256"] = Convert.ToHexStringLower(SHA256.HashData(data ?? []));
                    break;
                case TarEntryType.CharacterDevice or TarEntryType.BlockDevice:
                    e["type"] = "dev";
                    e["dev"] = $"{((PosixTarEntry)entry).DeviceMajor}:{((PosixTarEntry)entry).DeviceMinor}";
                    break;
                case TarEntryType.Fifo:
                    e["type"] = "fifo";
                    break;
            }
            var isDirectory = entry.EntryType == TarEntryType.Directory;
            if (isDirectory && fs.TryGetValue(name, out var existing) && (string?)existing["type"] == "dir")
            {
                foreach (var (key, value) in e.ToList())
                {
                    existing[key] = value?.DeepClone();
                }
                continue;
            }
            if (!isDirectory && fs.TryGetValue(name, out var replaced) && (string?)replaced["type"] == "dir")
            {
                RemoveWhere(fs, p => p.StartsWith(name + "/", StringComparison.Ordinal));
            }
            fs[name] = e;
        }
    }

    private static void RemoveWhere(SortedDictionary<string, JsonObject> fs, Func<string, bool> predicate)
    {
        foreach (var path in fs.Keys.Where(predicate).ToList())
        {
            fs.Remove(path);
        }
    }

    // Python's os.path.normpath("/" + name).
    private static string Normalize(string name)
    {
        var parts = new List<string>();
        foreach (var part in name.Split('/', StringSplitOptions.RemoveEmptyEntries))
        {
            if (part == "..")
            {
                if (parts.Count > 0)
                {
                    parts.RemoveAt(parts.Count - 1);
                }
            }
            else if (part != ".")
            {
                parts.Add(part);
            }
        }
        return "/" + string.Join('/', parts);
    }
}
