namespace Builder.Sandbox.Runtime;

/// <summary>Where a program is: the first directory of PATH that holds it (then /usr/sbin and /usr/bin), or null.</summary>
internal static class ProgramPath
{
    public static string? Find(string name) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "/usr/sbin:/usr/bin:/sbin:/bin").Split(':').Append("/usr/sbin").Append("/usr/bin")
            .Where(d => d.Length > 0).Select(d => Path.Combine(d, name)).FirstOrDefault(File.Exists);
}
