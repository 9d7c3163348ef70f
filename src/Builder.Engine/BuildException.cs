namespace Builder.Engine;

/// <summary>
/// A build failed for a reason the user can act on (a missing source, a failed RUN); exit code 1. Once the failing
/// instruction is known it carries its place (<see cref="FileName"/>, <see cref="Line"/>), so callers such as MSBuild
/// read the fields instead of parsing the message.
/// </summary>
public class BuildException : Exception
{
    public BuildException(string message, Exception? inner = null)
        : base(message, inner) => Reason = message;

    public BuildException(string fileName, int line, string reason, Exception? inner = null)
        : base($"{fileName}:{line}: {reason}", inner)
    {
        FileName = fileName;
        Line = line;
        Reason = reason;
    }

    /// <summary>The Dockerfile, once the failing instruction is known.</summary>
    public string? FileName { get; }

    /// <summary>The failing instruction's first line.</summary>
    public int? Line { get; }

    /// <summary>The message without its location.</summary>
    public string Reason { get; }
}

/// <summary>A RUN whose process exited non-zero: the command, its exit code and the last lines it printed.</summary>
public sealed class StepFailedException(string fileName, int line, string command, int exitCode, string outputTail)
    : BuildException(fileName, line, $"RUN failed: process \"{command}\" did not complete successfully: exit code: {exitCode}{outputTail}")
{
    public string Command { get; } = command;

    public int ExitCode { get; } = exitCode;
}
