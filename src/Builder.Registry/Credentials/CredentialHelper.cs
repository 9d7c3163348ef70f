using System.ComponentModel;
using System.Diagnostics;
using System.Text;
using System.Text.Json;

namespace Builder.Registry.Credentials;

/// <summary>
/// A docker credential helper: the program <c>docker-credential-NAME</c> on PATH, spoken to with docker's protocol —
/// <c>get</c> / <c>erase</c> read a server URL on stdin, <c>store</c> reads {ServerURL, Username, Secret} JSON,
/// <c>get</c> answers with the same JSON. A helper reports errors as text on stdout and a non-zero exit.
/// </summary>
public sealed class CredentialHelper
{
    public const string ProgramPrefix = "docker-credential-";

    // The user name helpers hold an identity token under, as docker stores it.
    private const string TokenUsername = "<token>";

    // What every helper built on docker-credential-helpers prints when it has nothing for the server.
    private const string NotFoundMessage = "credentials not found in native keychain";

    private const string Redacted = "********";

    private static readonly UTF8Encoding Utf8 = new(encoderShouldEmitUTF8Identifier: false);

    private readonly Func<string, string?> _environment;

    /// <param name="name">The helper's name as written in config.json ("pass", "ecr-login").</param>
    /// <param name="environment">Supplies PATH, both to find the helper and for the helper itself.</param>
    public CredentialHelper(string name, Func<string, string?> environment)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        ArgumentNullException.ThrowIfNull(environment);
        if (name.Contains('/', StringComparison.Ordinal))
        {
            // A name is not a path: config.json must not be able to run an arbitrary file.
            throw new ArgumentException($"credential helper name '{name}' must not contain '/'", nameof(name));
        }

        Name = name;
        _environment = environment;
    }

    public string Name { get; }

    public string ProgramName => ProgramPrefix + Name;

    /// <summary>The helper's credential for a server; null when it has none.</summary>
    public async Task<RegistryCredential?> GetAsync(string serverUrl, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(serverUrl);

        var result = await RunAsync("get", serverUrl, secret: null, cancellationToken).ConfigureAwait(false);
        if (result.ExitCode != 0)
        {
            if (result.Output == NotFoundMessage)
            {
                return null;
            }

            throw Failure("get credentials for", serverUrl, result);
        }

        string? username;
        string? secret;
        try
        {
            using var document = JsonDocument.Parse(result.Output);
            username = ReadField(document.RootElement, "Username");
            secret = ReadField(document.RootElement, "Secret");
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException)
        {
            // The output would be the secret, or near it: say what was wrong, not what was printed.
            throw new CredentialHelperException(Name, $"credential helper {ProgramName} answered 'get' for {serverUrl} with output that is not a credentials JSON object");
        }

        if (string.IsNullOrEmpty(username) && string.IsNullOrEmpty(secret))
        {
            return null;
        }

        return username == TokenUsername
            ? new RegistryCredential(null, null) { IdentityToken = secret }
            : new RegistryCredential(NullIfEmpty(username), secret);
    }

    /// <summary>Hands a user name and password, or an identity token, to the helper to keep for a server.</summary>
    public async Task StoreAsync(string serverUrl, RegistryCredential credential, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(serverUrl);
        ArgumentNullException.ThrowIfNull(credential);

        var (username, secret) = string.IsNullOrEmpty(credential.IdentityToken)
            ? (credential.Username ?? "", credential.Password ?? "")
            : (TokenUsername, credential.IdentityToken);

        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteString("ServerURL", serverUrl);
            writer.WriteString("Username", username);
            writer.WriteString("Secret", secret);
            writer.WriteEndObject();
        }

        var input = Utf8.GetString(buffer.ToArray()) + "\n";
        var result = await RunAsync("store", input, secret, cancellationToken).ConfigureAwait(false);
        if (result.ExitCode != 0)
        {
            throw Failure("store credentials for", serverUrl, result);
        }
    }

    /// <summary>Asks the helper to forget a server's credential; false when it had none.</summary>
    public async Task<bool> EraseAsync(string serverUrl, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(serverUrl);

        var result = await RunAsync("erase", serverUrl, secret: null, cancellationToken).ConfigureAwait(false);
        if (result.ExitCode == 0)
        {
            return true;
        }

        return result.Output == NotFoundMessage ? false : throw Failure("erase credentials for", serverUrl, result);
    }

    private async Task<HelperResult> RunAsync(string action, string input, string? secret, CancellationToken cancellationToken)
    {
        var path = _environment("PATH");
        var program = FindProgram(path)
            ?? throw new CredentialHelperException(Name, $"credential helper {ProgramName} was not found on PATH");

        var start = new ProcessStartInfo(program)
        {
            ArgumentList = { action },
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            StandardInputEncoding = Utf8,
            StandardOutputEncoding = Utf8,
            StandardErrorEncoding = Utf8,
        };
        if (path is not null)
        {
            start.Environment["PATH"] = path;
        }

        Process process;
        try
        {
            process = Process.Start(start)
                ?? throw new CredentialHelperException(Name, $"credential helper {ProgramName} could not be started");
        }
        catch (Win32Exception e)
        {
            throw new CredentialHelperException(Name, $"credential helper {ProgramName} ({program}) could not be started: {e.Message}", e);
        }

        using (process)
        {
            try
            {
                var output = process.StandardOutput.ReadToEndAsync(cancellationToken);
                var error = process.StandardError.ReadToEndAsync(cancellationToken);
                try
                {
                    await process.StandardInput.WriteAsync(input.AsMemory(), cancellationToken).ConfigureAwait(false);
                    process.StandardInput.Close();
                }
                catch (IOException)
                {
                    // The helper exited without reading its input; its exit code and output say why.
                }

                await process.WaitForExitAsync(cancellationToken).ConfigureAwait(false);
                return new HelperResult(
                    process.ExitCode,
                    Redact((await output.ConfigureAwait(false)).Trim(), secret),
                    Redact((await error.ConfigureAwait(false)).Trim(), secret));
            }
            finally
            {
                KillIfRunning(process);
            }
        }
    }

    // Reached on cancellation: a helper waiting on a keychain prompt must not outlive the caller.
    private static void KillIfRunning(Process process)
    {
        try
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
            }
        }
        catch (InvalidOperationException)
        {
            // It exited between the check and the kill.
        }
    }

    // PATH lookup as Go's exec.LookPath: a regular file with an execute bit. Relative and empty entries are skipped,
    // as Go does since 1.19, so a helper is never picked up from the current directory.
    private string? FindProgram(string? path)
    {
        if (string.IsNullOrEmpty(path))
        {
            return null;
        }

        const UnixFileMode anyExecute = UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute;
        foreach (var directory in path.Split(':'))
        {
            if (!Path.IsPathFullyQualified(directory))
            {
                continue;
            }

            var candidate = Path.Combine(directory, ProgramName);
            if (File.Exists(candidate) && (File.GetUnixFileMode(candidate) & anyExecute) != 0)
            {
                return candidate;
            }
        }

        return null;
    }

    private CredentialHelperException Failure(string what, string serverUrl, HelperResult result)
    {
        var detail = result.Output.Length > 0 ? result.Output
            : result.Error.Length > 0 ? result.Error
            : $"exit code {result.ExitCode}";
        return new CredentialHelperException(Name, $"credential helper {ProgramName} failed to {what} {serverUrl}: {detail}");
    }

    // A helper that echoes its input back in an error must not put the secret into our message; it may appear
    // raw or JSON-escaped (as it was sent).
    private static string Redact(string text, string? secret)
    {
        if (string.IsNullOrEmpty(secret) || text.Length == 0)
        {
            return text;
        }

        var escaped = JsonEncodedText.Encode(secret).ToString();
        return text.Replace(secret, Redacted, StringComparison.Ordinal).Replace(escaped, Redacted, StringComparison.Ordinal);
    }

    // Field names match case-insensitively, as Go's encoding/json does when docker decodes the answer.
    private static string? ReadField(JsonElement root, string name)
    {
        foreach (var property in root.EnumerateObject())
        {
            if (string.Equals(property.Name, name, StringComparison.OrdinalIgnoreCase))
            {
                return property.Value.ValueKind == JsonValueKind.Null ? null : property.Value.GetString();
            }
        }

        return null;
    }

    private static string? NullIfEmpty(string? value) => string.IsNullOrEmpty(value) ? null : value;

    private sealed record HelperResult(int ExitCode, string Output, string Error);
}

/// <summary>A credential helper could not be run or reported an error; the message names the helper, never a secret.</summary>
public sealed class CredentialHelperException : Exception
{
    public CredentialHelperException(string helper, string message)
        : base(message) => Helper = helper;

    public CredentialHelperException(string helper, string message, Exception innerException)
        : base(message, innerException) => Helper = helper;

    /// <summary>The helper's name as written in config.json.</summary>
    public string Helper { get; }
}
