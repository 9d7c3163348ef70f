using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Builder.Registry.Credentials;

/// <summary>
/// Docker's config.json: <c>auths</c>, <c>credsStore</c> and <c>credHelpers</c> are understood; every other field
/// (proxies, psFormat, plugins, ...) is carried through a save untouched, because other tools own them.
/// </summary>
public sealed class DockerConfigFile
{
    public const string FileName = "config.json";

    private const string AuthsField = "auths";
    private const string CredsStoreField = "credsStore";
    private const string CredHelpersField = "credHelpers";

    private static readonly JsonDocumentOptions ParseOptions = new() { AllowDuplicateProperties = false };

    private static readonly JsonWriterOptions WriteOptions = new()
    {
        // Docker writes the file tab-indented; keep diffs against docker-written files small.
        Indented = true,
        IndentCharacter = '\t',
        IndentSize = 1,
        // Keep non-ASCII text in fields we don't own readable rather than \u-escaped.
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    private readonly JsonObject _root;
    private readonly string _source;

    private DockerConfigFile(JsonObject root, string? path, string source)
    {
        _root = root;
        Path = path;
        _source = source;
    }

    /// <summary>Where the file is saved; null for a document that came from elsewhere (DOCKER_AUTH_CONFIG).</summary>
    public string? Path { get; }

    /// <summary>The helper for every registry without its own entry in <see cref="CredHelpers"/>; null when unset or empty.</summary>
    public string? CredsStore => _root[CredsStoreField]?.GetValue<string>() is { Length: > 0 } store ? store : null;

    /// <summary>Per-registry helper names, keyed as written in the file; "" keeps a registry in <c>auths</c>.</summary>
    public IReadOnlyDictionary<string, string> CredHelpers =>
        _root[CredHelpersField] is JsonObject helpers
            ? helpers.ToDictionary(h => h.Key, h => h.Value?.GetValue<string>() ?? "", StringComparer.Ordinal)
            : new Dictionary<string, string>(StringComparer.Ordinal);

    /// <summary>The keys of <c>auths</c>, in file order.</summary>
    public IReadOnlyList<string> AuthKeys => Auths is { } auths ? auths.Select(a => a.Key).ToList() : [];

    private JsonObject? Auths => _root[AuthsField] as JsonObject;

    /// <summary>
    /// config.json's location as docker finds it: <c>$DOCKER_CONFIG/config.json</c>, else <c>$HOME/.docker/config.json</c>.
    /// </summary>
    public static string Locate(Func<string, string?> environment)
    {
        ArgumentNullException.ThrowIfNull(environment);

        var directory = environment("DOCKER_CONFIG");
        if (string.IsNullOrEmpty(directory))
        {
            var home = environment("HOME");
            if (string.IsNullOrEmpty(home))
            {
                // Docker falls back to the passwd entry when HOME is unset; .NET does the same lookup here.
                home = Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
            }

            if (string.IsNullOrEmpty(home))
            {
                throw new InvalidOperationException("cannot locate the docker config: neither DOCKER_CONFIG nor HOME is set");
            }

            directory = System.IO.Path.Combine(home, ".docker");
        }

        return System.IO.Path.Combine(directory, FileName);
    }

    /// <summary>Loads the file at <paramref name="path"/>; a missing file (or directory) is an empty config, as in docker.</summary>
    public static async Task<DockerConfigFile> LoadAsync(string path, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);

        string text;
        try
        {
            text = await File.ReadAllTextAsync(path, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            text = "";
        }

        return Parse(text, path, path);
    }

    /// <summary>Reads a config.json-shaped document that is not a file (DOCKER_AUTH_CONFIG); it cannot be saved.</summary>
    public static DockerConfigFile Parse(string json, string source)
    {
        ArgumentNullException.ThrowIfNull(json);
        ArgumentException.ThrowIfNullOrEmpty(source);
        return Parse(json, path: null, source);
    }

    /// <summary>
    /// The credential filed under the registry's key; failing that, under a key written as a URL or a Docker Hub
    /// alias of it, the first in file order. Null when nothing is filed or the entry is empty (the <c>{}</c> docker
    /// leaves when a helper holds the secret).
    /// </summary>
    public RegistryCredential? FindAuth(string registry)
    {
        var key = RegistryKeys.Normalize(registry);
        if (Auths is not { } auths)
        {
            return null;
        }

        if (auths.TryGetPropertyValue(key, out var exact))
        {
            return ReadEntry(key, exact);
        }

        foreach (var (candidate, entry) in auths)
        {
            if (RegistryKeys.Matches(candidate, key))
            {
                return ReadEntry(candidate, entry);
            }
        }

        return null;
    }

    /// <summary>
    /// The helper that holds the registry's credential: its <c>credHelpers</c> entry, else <c>credsStore</c>; null when
    /// <c>auths</c> holds it. An empty <c>credHelpers</c> entry opts its registry out of <c>credsStore</c>, as in docker.
    /// </summary>
    public string? FindHelper(string registry)
    {
        var key = RegistryKeys.Normalize(registry);
        var helpers = CredHelpers;
        if (!helpers.TryGetValue(key, out var helper))
        {
            helper = helpers.FirstOrDefault(h => RegistryKeys.Matches(h.Key, key)).Value;
        }

        return helper is null ? CredsStore : NullIfEmpty(helper);
    }

    /// <summary>
    /// Files a credential under the registry's key, replacing what was there, as docker's file store does: the user
    /// name and password as base64 <c>auth</c>, tokens in <c>identitytoken</c> / <c>registrytoken</c>. An empty
    /// credential leaves the empty entry docker writes when a helper holds the secret.
    /// </summary>
    public void SetAuth(string registry, RegistryCredential credential)
    {
        ArgumentNullException.ThrowIfNull(credential);

        var entry = new JsonObject();
        if (!string.IsNullOrEmpty(credential.Username) || !string.IsNullOrEmpty(credential.Password))
        {
            entry["auth"] = EncodeAuth(credential.Username ?? "", credential.Password ?? "");
        }

        if (!string.IsNullOrEmpty(credential.IdentityToken))
        {
            entry["identitytoken"] = credential.IdentityToken;
        }

        if (!string.IsNullOrEmpty(credential.RegistryToken))
        {
            entry["registrytoken"] = credential.RegistryToken;
        }

        if (Auths is not { } auths)
        {
            auths = new JsonObject();
            _root[AuthsField] = auths;
        }

        auths[RegistryKeys.Normalize(registry)] = entry;
    }

    /// <summary>Removes every <c>auths</c> entry filed for the registry, under its key or a URL form; returns how many.</summary>
    public int RemoveAuth(string registry)
    {
        var key = RegistryKeys.Normalize(registry);
        if (Auths is not { } auths)
        {
            return 0;
        }

        var matching = auths.Select(a => a.Key).Where(k => RegistryKeys.Matches(k, key)).ToList();
        foreach (var candidate in matching)
        {
            auths.Remove(candidate);
        }

        return matching.Count;
    }

    /// <summary>
    /// Writes the file the way docker does: to a 0600 temporary file beside it, then renamed over it, so a reader
    /// never sees half a file. The directory is created 0700; an existing file keeps its mode; a symlinked
    /// config.json is replaced at its target, not turned into a regular file.
    /// </summary>
    public async Task SaveAsync(CancellationToken cancellationToken)
    {
        if (Path is null)
        {
            throw new InvalidOperationException($"the docker config from {_source} has no file to be saved to");
        }

        var target = ResolveSymlinks(System.IO.Path.GetFullPath(Path));
        var directory = System.IO.Path.GetDirectoryName(target)!;
        Directory.CreateDirectory(directory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);

        var temporary = System.IO.Path.Combine(directory, $".{System.IO.Path.GetFileName(target)}.{Guid.NewGuid():N}.tmp");
        try
        {
            var options = new FileStreamOptions
            {
                Mode = FileMode.CreateNew,
                Access = FileAccess.Write,
                Options = FileOptions.Asynchronous,
                UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite,
            };
            var stream = new FileStream(temporary, options);
            await using (stream.ConfigureAwait(false))
            {
                await stream.WriteAsync(ToUtf8Json(), cancellationToken).ConfigureAwait(false);
                // The rename must not publish a file whose bytes are still only in the page cache.
                stream.Flush(flushToDisk: true);
            }

            if (File.Exists(target))
            {
                File.SetUnixFileMode(temporary, File.GetUnixFileMode(target));
            }

            File.Move(temporary, target, overwrite: true);
        }
        catch
        {
            File.Delete(temporary);
            throw;
        }
    }

    private static string ResolveSymlinks(string path)
    {
        try
        {
            return File.ResolveLinkTarget(path, returnFinalTarget: true)?.FullName ?? path;
        }
        catch (Exception e) when (e is DirectoryNotFoundException or FileNotFoundException)
        {
            // First save: nothing there yet, so nothing to follow.
            return path;
        }
    }

    /// <summary>The document as docker would write it.</summary>
    public string ToJson() => Encoding.UTF8.GetString(ToUtf8Json());

    private byte[] ToUtf8Json()
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer, WriteOptions))
        {
            _root.WriteTo(writer);
        }

        return buffer.ToArray();
    }

    private static DockerConfigFile Parse(string json, string? path, string source)
    {
        JsonObject root;
        if (string.IsNullOrWhiteSpace(json))
        {
            // Docker reads an empty file as an empty config; it writes "auths" even when there are none.
            root = new JsonObject { [AuthsField] = new JsonObject() };
        }
        else
        {
            JsonNode? node;
            try
            {
                node = JsonNode.Parse(json, documentOptions: ParseOptions);
            }
            catch (JsonException e)
            {
                throw new InvalidDataException($"{source} is not valid JSON: {e.Message}", e);
            }

            root = node as JsonObject ?? throw new InvalidDataException($"{source} must hold a JSON object");
        }

        var config = new DockerConfigFile(root, path, source);
        config.Validate();
        return config;
    }

    // Docker refuses a config it cannot read rather than guessing; do the same, up front, naming the bad part.
    private void Validate()
    {
        switch (_root[AuthsField])
        {
            case null:
                break;
            case JsonObject auths:
                foreach (var (key, entry) in auths)
                {
                    ReadEntry(key, entry);
                }

                break;
            default:
                throw Invalid($"\"{AuthsField}\" must be a JSON object");
        }

        if (_root[CredsStoreField] is { } store && !IsString(store))
        {
            throw Invalid($"\"{CredsStoreField}\" must be a string");
        }

        switch (_root[CredHelpersField])
        {
            case null:
                break;
            case JsonObject helpers:
                foreach (var (key, helper) in helpers)
                {
                    if (helper is not null && !IsString(helper))
                    {
                        throw Invalid($"\"{CredHelpersField}\".\"{key}\" must be a string");
                    }
                }

                break;
            default:
                throw Invalid($"\"{CredHelpersField}\" must be a JSON object");
        }
    }

    private RegistryCredential? ReadEntry(string key, JsonNode? entry)
    {
        if (entry is null)
        {
            return null;
        }

        if (entry is not JsonObject fields)
        {
            throw Invalid($"\"{AuthsField}\".\"{key}\" must be a JSON object");
        }

        var auth = ReadString(fields, key, "auth");
        var username = ReadString(fields, key, "username");
        var password = ReadString(fields, key, "password");
        if (!string.IsNullOrEmpty(auth))
        {
            // As in docker, "auth" wins over plain username/password fields.
            (username, password) = DecodeAuth(key, auth);
        }

        var credential = new RegistryCredential(NullIfEmpty(username), NullIfEmpty(password))
        {
            IdentityToken = NullIfEmpty(ReadString(fields, key, "identitytoken")),
            RegistryToken = NullIfEmpty(ReadString(fields, key, "registrytoken")),
        };

        return credential is { Username: null, Password: null, IdentityToken: null, RegistryToken: null } ? null : credential;
    }

    private string? ReadString(JsonObject fields, string key, string field) =>
        fields[field] switch
        {
            null => null,
            var value when IsString(value) => value.GetValue<string>(),
            _ => throw Invalid($"\"{AuthsField}\".\"{key}\".\"{field}\" must be a string"),
        };

    // Never put the decoded text in a message: it is the password.
    private (string Username, string Password) DecodeAuth(string key, string auth)
    {
        string decoded;
        try
        {
            decoded = Encoding.UTF8.GetString(Convert.FromBase64String(auth));
        }
        catch (FormatException)
        {
            throw Invalid($"the \"auth\" of \"{key}\" is not valid base64");
        }

        var colon = decoded.IndexOf(':');
        if (colon <= 0)
        {
            throw Invalid($"the \"auth\" of \"{key}\" is not base64 of \"username:password\"");
        }

        // Some old clients padded the password with NULs; docker trims them.
        return (decoded[..colon], decoded[(colon + 1)..].Trim('\0'));
    }

    private static string EncodeAuth(string username, string password) =>
        Convert.ToBase64String(Encoding.UTF8.GetBytes(username + ":" + password));

    private static bool IsString(JsonNode node) => node.GetValueKind() == JsonValueKind.String;

    private static string? NullIfEmpty(string? value) => string.IsNullOrEmpty(value) ? null : value;

    private InvalidDataException Invalid(string problem) => new($"{_source}: {problem}");
}
