using Builder.Engine.Outputs;

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

    /// <summary>Runs a write to <paramref name="path"/>, given by <paramref name="option"/>; its I/O failure names both, as --output's does.</summary>
    public static Task WriteAsync(string option, string path, Func<Task> write) => BuildOutputWriter.WriteToAsync(option, path, write);
}
