using System.Formats.Tar;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;

namespace Builder.IntegrationTests.Security;

/// <summary>
/// A tar written entry by entry, exactly as given: names with "..", absolute names, links out of the archive, entries
/// through symlinks, devices. System.Formats.Tar writes names and link targets unchanged (GNU tar would strip them).
/// </summary>
public sealed class HostileTar
{
    private readonly List<(TarEntryType Type, string Name, byte[] Data, string Link, int Mode, int Major, int Minor)> _entries = [];

    public HostileTar File(string name, string content, int mode = 0b110_100_100) => File(name, Encoding.UTF8.GetBytes(content), mode);

    public HostileTar File(string name, byte[] content, int mode = 0b110_100_100) => Add(TarEntryType.RegularFile, name, content, "", mode);

    public HostileTar Directory(string name) => Add(TarEntryType.Directory, name, [], "", 0b111_101_101);

    public HostileTar Symlink(string name, string target) => Add(TarEntryType.SymbolicLink, name, [], target, 0b111_111_111);

    public HostileTar Hardlink(string name, string target) => Add(TarEntryType.HardLink, name, [], target, 0b110_100_100);

    public HostileTar CharacterDevice(string name, int major, int minor) => Add(TarEntryType.CharacterDevice, name, [], "", 0b110_110_110, major, minor);

    public HostileTar BlockDevice(string name, int major, int minor) => Add(TarEntryType.BlockDevice, name, [], "", 0b110_110_000, major, minor);

    public HostileTar Fifo(string name) => Add(TarEntryType.Fifo, name, [], "", 0b110_100_100);

    /// <summary>Every entry of a real directory tree (a root filesystem), relative to it, directories first.</summary>
    public HostileTar Tree(string root)
    {
        foreach (var path in System.IO.Directory.EnumerateFileSystemEntries(root, "*", SearchOption.AllDirectories).Order(StringComparer.Ordinal))
        {
            var name = Path.GetRelativePath(root, path);
            var info = new FileInfo(path);
            if (info.LinkTarget is { } target)
            {
                Symlink(name, target);
            }
            else if (System.IO.Directory.Exists(path))
            {
                Add(TarEntryType.Directory, name + "/", [], "", (int)System.IO.File.GetUnixFileMode(path));
            }
            else
            {
                File(name, System.IO.File.ReadAllBytes(path), (int)System.IO.File.GetUnixFileMode(path));
            }
        }
        return this;
    }

    public byte[] ToBytes()
    {
        using var buffer = new MemoryStream();
        using (var writer = new TarWriter(buffer, TarEntryFormat.Pax, leaveOpen: true))
        {
            foreach (var (type, name, data, link, mode, major, minor) in _entries)
            {
                var entry = new PaxTarEntry(type, name) { Mode = (UnixFileMode)mode, ModificationTime = DateTimeOffset.UnixEpoch };
                if (type is TarEntryType.SymbolicLink or TarEntryType.HardLink)
                {
                    entry.LinkName = link;
                }
                if (type is TarEntryType.CharacterDevice or TarEntryType.BlockDevice)
                {
                    entry.DeviceMajor = major;
                    entry.DeviceMinor = minor;
                }
                if (type == TarEntryType.RegularFile)
                {
                    entry.DataStream = new MemoryStream(data);
                }
                writer.WriteEntry(entry);
            }
        }
        return buffer.ToArray();
    }

    public async Task<string> WriteAsync(string path)
    {
        await System.IO.File.WriteAllBytesAsync(path, ToBytes());
        return path;
    }

    /// <summary>
    /// A docker-archive (what <c>docker save</c> writes) of one image whose only layer is <paramref name="layer"/>,
    /// tagged <paramref name="tag"/>; <paramref name="extra"/> adds entries to the archive itself.
    /// </summary>
    public static byte[] DockerArchive(byte[] layer, string tag, Action<HostileTar>? extra = null)
    {
        var diffId = "sha256:" + Convert.ToHexStringLower(SHA256.HashData(layer));
        var config = new JsonObject
        {
            ["architecture"] = RuntimeInformation.OSArchitecture == Architecture.Arm64 ? "arm64" : "amd64",
            ["os"] = "linux",
            ["created"] = "2024-01-01T00:00:00Z",
            ["config"] = new JsonObject { ["Env"] = new JsonArray("PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin") },
            ["rootfs"] = new JsonObject { ["type"] = "layers", ["diff_ids"] = new JsonArray(diffId) },
            ["history"] = new JsonArray(new JsonObject { ["created_by"] = "hostile layer" }),
        };
        var configBytes = Encoding.UTF8.GetBytes(config.ToJsonString());
        var configName = Convert.ToHexStringLower(SHA256.HashData(configBytes)) + ".json";
        var manifest = new JsonArray(new JsonObject
        {
            ["Config"] = configName,
            ["RepoTags"] = new JsonArray(tag),
            ["Layers"] = new JsonArray("layer.tar"),
        });
        var archive = new HostileTar()
            .File(configName, configBytes)
            .File("layer.tar", layer)
            .File("manifest.json", manifest.ToJsonString());
        extra?.Invoke(archive);
        return archive.ToBytes();
    }

    private HostileTar Add(TarEntryType type, string name, byte[] data, string link, int mode, int major = 0, int minor = 0)
    {
        _entries.Add((type, name, data, link, mode, major, minor));
        return this;
    }
}
