namespace Builder.Sandbox;

/// <summary>The sandbox could not run what was asked (a bad user, a runtime failure), as opposed to the process failing.</summary>
public sealed class SandboxException(string message, Exception? inner = null) : Exception(message, inner);
