using System.Text.Json;
using System.Text.RegularExpressions;
using Builder.Dockerfile.Binding;
using Builder.Dockerfile.Ignore;

namespace Builder.Cli;

/// <summary>
/// How a verb's failure is printed: one "error:" line and an exit code, 2 for a usage error (with the verb's help hint),
/// 1 for any other failure the user can cause and act on. Those are the typed exceptions below, thrown where the input
/// is read (a flag, a file, a Dockerfile, a registry's or the store's content); anything else is a bug and says
/// "internal error" (with the stack under BUILDER_DEBUG=1).
/// </summary>
internal static class CliErrors
{
    public static int Report(Exception e, TextWriter error, string helpHint)
    {
        if (e is UsageException)
        {
            error.WriteLine($"error: {e.Message}");
            error.WriteLine(helpHint);
            return ExitCodes.Usage;
        }
        if (Failure(e) is { } message)
        {
            error.WriteLine($"error: {message}");
            return ExitCodes.Failure;
        }
        error.WriteLine($"error: internal error: {e.GetType().Name}: {e.Message}");
        if (Environment.GetEnvironmentVariable("BUILDER_DEBUG") is "1" or "true")
        {
            error.WriteLine(e.ToString());
        }
        return ExitCodes.Failure;
    }

    /// <summary>The line for a failure the user can cause (its message already names the file, flag or image); null for a bug.</summary>
    private static string? Failure(Exception e) => e switch
    {
        OperationCanceledException => "canceled",
        DockerfileException or DockerIgnoreException or Engine.BuildException or Sandbox.SandboxException => e.Message,
        IOException or UnauthorizedAccessException or InvalidDataException or HttpRequestException => e.Message,
        ImageNotFoundException or Oci.Images.PlatformNotFoundException or Oci.Layers.UnsafeLayerEntryException => e.Message,
        Registry.RegistryException or Registry.Credentials.CredentialHelperException or Signing.SigningException => e.Message,
        // Content from outside (a registry's manifest, the store's index.json) that is not the JSON it should be; .NET's
        // message may quote the bad text across lines.
        JsonException => "invalid JSON: " + OneLine(e.Message),
        _ => null,
    };

    /// <summary>A message whose parts .NET put on lines of their own, on one line.</summary>
    public static string OneLine(string message) => Regex.Replace(message, @"\s*\n\s*", " ");
}

/// <summary>A command line that parses but asks for something impossible (a bad K=V, say): exit code 2.</summary>
public sealed class UsageException(string message) : Exception(message);
