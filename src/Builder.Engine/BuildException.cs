namespace Builder.Engine;

/// <summary>A build failed for a reason the user can act on (a missing source, a failed RUN); exit code 1.</summary>
public sealed class BuildException(string message, Exception? inner = null) : Exception(message, inner);
