namespace Builder.Cli;

/// <summary>Files named on the command line: a missing one, or a directory, is one line naming it, not .NET's wording.</summary>
internal static class CliFiles
{
    public static string ReadText(string path)
    {
        try
        {
            return Directory.Exists(path) ? throw new IOException($"{path}: is a directory") : File.ReadAllText(path);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            throw new FileNotFoundException($"{path}: no such file or directory", path, e);
        }
    }

    /// <summary>Runs a write to <paramref name="path"/>, given by <paramref name="option"/>; its I/O failure names both.</summary>
    public static async Task WriteAsync(string option, string path, Func<Task> write)
    {
        try
        {
            await write();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            var reason = e switch
            {
                FileNotFoundException or DirectoryNotFoundException => "no such file or directory",
                UnauthorizedAccessException when Directory.Exists(path) => "is a directory",
                UnauthorizedAccessException => "permission denied",
                _ => e.Message,
            };
            throw new IOException($"{option} {path}: {reason}", e);
        }
    }
}
