using Builder.Oci.Content;

namespace Builder.Oci.Tests.Content;

public sealed class AtomicFileTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("atomic-").FullName;

    public void Dispose() => Directory.Delete(_root, recursive: true);

    [Fact]
    public async Task A_file_is_replaced_whole_and_no_temporary_file_is_left()
    {
        var path = Path.Combine(_root, "sub", "record.json");
        await AtomicFile.WriteAsync(path, "old"u8.ToArray(), CancellationToken.None);
        AtomicFile.Write(path, "new"u8);

        Assert.Equal("new", await File.ReadAllTextAsync(path));
        Assert.Equal([path], Directory.GetFiles(Path.GetDirectoryName(path)!));
    }

    [Fact]
    public async Task A_failed_write_leaves_the_old_file_and_no_temporary_file()
    {
        var path = Path.Combine(_root, "record.json");
        await AtomicFile.WriteAsync(path, "old"u8.ToArray(), CancellationToken.None);
        using var canceled = new CancellationTokenSource();
        await canceled.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => AtomicFile.WriteAsync(path, new byte[1 << 20], canceled.Token));

        Assert.Equal("old", await File.ReadAllTextAsync(path));
        Assert.Equal([path], Directory.GetFiles(_root));
    }
}
