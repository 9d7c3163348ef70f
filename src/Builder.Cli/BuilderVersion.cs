using System.Reflection;

namespace Builder.Cli;

/// <summary>This builder's version, as SBOMs and provenance name their tool.</summary>
internal static class BuilderVersion
{
    public static string Current { get; } =
        typeof(BuilderVersion).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion
        ?? typeof(BuilderVersion).Assembly.GetName().Version?.ToString() ?? "unknown";
}
