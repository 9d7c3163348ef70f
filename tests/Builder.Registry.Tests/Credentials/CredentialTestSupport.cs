using System.Text;
using System.Text.Json.Nodes;

namespace Builder.Registry.Tests.Credentials;

/// <summary>A scratch directory standing in for a user's home; removed afterwards.</summary>
public sealed class TempHome : IDisposable
{
    public TempHome()
    {
        Root = Directory.CreateTempSubdirectory("builder-cred-").FullName;
        Variables = new Dictionary<string, string?>(StringComparer.Ordinal) { ["HOME"] = Root };
    }

    public string Root { get; }

    /// <summary>The environment the code under test sees; tests add to it instead of touching the process's.</summary>
    public Dictionary<string, string?> Variables { get; }

    public Func<string, string?> Environment => name => Variables.GetValueOrDefault(name);

    public string ConfigPath => Path.Combine(Root, ".docker", "config.json");

    public void WriteConfig(string json)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(ConfigPath)!);
        File.WriteAllText(ConfigPath, json);
    }

    public JsonObject ReadConfig() => (JsonObject)JsonNode.Parse(File.ReadAllText(ConfigPath))!;

    public static string Auth(string username, string password) =>
        Convert.ToBase64String(Encoding.UTF8.GetBytes($"{username}:{password}"));

    public void Dispose() => Directory.Delete(Root, recursive: true);
}

/// <summary>
/// A real credential helper, <c>docker-credential-test</c>: a shell script on the test's PATH that keeps what it is
/// given in files, logs each call, and fails (echoing its input, as a careless helper might) when told to.
/// </summary>
public sealed class FakeHelper
{
    public const string Name = "test";

    private const string Script = """
        #!/bin/sh
        dir=$(dirname "$0")/store
        mkdir -p "$dir"
        input=$(cat)
        if [ -f "$dir/fail" ]; then
          printf 'keychain is locked, request was: %s\n' "$input"
          exit 1
        fi
        case "$1" in
          get|erase) url=$input ;;
          store) url=$(printf '%s' "$input" | sed -n 's/.*"ServerURL":"\([^"]*\)".*/\1/p') ;;
          *) echo "unknown action $1"; exit 1 ;;
        esac
        printf '%s %s\n' "$1" "$url" >> "$dir/calls"
        file="$dir/$(printf '%s' "$url" | tr '/:' '__')"
        case "$1" in
          get) if [ -f "$file" ]; then cat "$file"; else echo "credentials not found in native keychain"; exit 1; fi ;;
          store) printf '%s' "$input" > "$file" ;;
          erase) if [ -f "$file" ]; then rm "$file"; else echo "credentials not found in native keychain"; exit 1; fi ;;
        esac
        """;

    private readonly string _bin;

    public FakeHelper(TempHome home)
    {
        _bin = Path.Combine(home.Root, "bin");
        Directory.CreateDirectory(_bin);
        var program = Path.Combine(_bin, "docker-credential-" + Name);
        File.WriteAllText(program, Script.ReplaceLineEndings("\n") + "\n");
        File.SetUnixFileMode(program, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);

        // The helper comes first; the system directories keep sh, sed and tr reachable for the script.
        home.Variables["PATH"] = _bin + ":/usr/local/bin:/usr/bin:/bin";
    }

    private string StoreDirectory => Path.Combine(_bin, "store");

    /// <summary>Each call the helper received, as "action serverURL".</summary>
    public IReadOnlyList<string> Calls =>
        File.Exists(Path.Combine(StoreDirectory, "calls")) ? File.ReadAllLines(Path.Combine(StoreDirectory, "calls")) : [];

    /// <summary>What the helper holds for a server, as it would answer `get`; null when nothing.</summary>
    public JsonObject? Held(string serverUrl)
    {
        var file = Path.Combine(StoreDirectory, serverUrl.Replace('/', '_').Replace(':', '_'));
        return File.Exists(file) ? (JsonObject)JsonNode.Parse(File.ReadAllText(file))! : null;
    }

    public void Hold(string serverUrl, string username, string secret)
    {
        Directory.CreateDirectory(StoreDirectory);
        var answer = new JsonObject { ["ServerURL"] = serverUrl, ["Username"] = username, ["Secret"] = secret };
        File.WriteAllText(Path.Combine(StoreDirectory, serverUrl.Replace('/', '_').Replace(':', '_')), answer.ToJsonString());
    }

    public void FailFromNowOn()
    {
        Directory.CreateDirectory(StoreDirectory);
        File.WriteAllText(Path.Combine(StoreDirectory, "fail"), "");
    }
}

/// <summary>Tests that start helper processes run one at a time: writing a script while another test forks can make exec fail with ETXTBSY.</summary>
[CollectionDefinition(Name)]
public sealed class HelperProcessCollection
{
    public const string Name = "credential helper processes";
}
