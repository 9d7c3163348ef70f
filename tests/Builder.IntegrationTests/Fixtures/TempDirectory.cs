namespace Builder.IntegrationTests.Fixtures;

/// <summary>A scratch directory removed (with everything in it) when the test ends.</summary>
public sealed class TempDirectory : IDisposable
{
    public TempDirectory(string prefix = "builder-it")
    {
        Path = Directory.CreateTempSubdirectory(prefix + "-").FullName;
    }

    public string Path { get; }

    public string Combine(params string[] parts) => System.IO.Path.Combine([Path, .. parts]);

    public void Dispose()
    {
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (IOException)
        {
            // a process we started may still hold a file for a moment; the OS temp cleaner gets the rest
        }
        catch (UnauthorizedAccessException)
        {
        }
    }
}
