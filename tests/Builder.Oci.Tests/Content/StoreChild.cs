using System.Diagnostics;
using Builder.Oci.Content;
using Builder.Oci.References;

namespace Builder.Oci.Tests.Content;

/// <summary>
/// The test assembly's entry point, used only as a second process by the store tests: <c>dotnet
/// Builder.Oci.Tests.dll COMMAND ...</c>. A process of its own is the only honest way to test cross-process
/// locking and a writer that dies mid-write.
/// </summary>
public static class StoreChild
{
    public static async Task<int> Main(string[] args)
    {
        switch (args)
        {
            case ["write-and-hang", var root, var size]:
            {
                // Writes the bytes, makes sure they reached the temp file, says so, and waits to be killed.
                var store = await OciLayoutStore.OpenAsync(root, CancellationToken.None);
                var writer = await store.OpenWriterAsync(CancellationToken.None);
                await writer.Stream.WriteAsync(TestContent.Bytes(int.Parse(size), seed: 1));
                await writer.Stream.FlushAsync();
                Console.WriteLine("written");
                await Task.Delay(Timeout.Infinite);
                return 1;
            }
            case ["lease-and-hang", var root, var digest]:
            {
                // Holds a blob under a lease, says so, and waits to be killed (kill -9: the lease file stays, its lock goes).
                var lease = StoreLeases.Acquire(root);
                lease.Hold(Digest.Parse(digest));
                Console.WriteLine("held");
                await Task.Delay(Timeout.Infinite);
                GC.KeepAlive(lease);
                return 1;
            }
            case ["tag", var root, var prefix, var count]:
            {
                var store = await OciLayoutStore.OpenAsync(root, CancellationToken.None);
                var target = new Descriptor(MediaTypes.OciManifest, Digest.Of(System.Text.Encoding.UTF8.GetBytes(prefix)), 1);
                await Parallel.ForAsync(0, int.Parse(count), async (i, ct) =>
                    await store.SetAsync(ImageReference.Parse($"example.com/{prefix}:t{i}"), target, ct));
                return 0;
            }
            case ["write-blob", var root, var size, var count]:
            {
                var store = await OciLayoutStore.OpenAsync(root, CancellationToken.None);
                var content = TestContent.Bytes(int.Parse(size), seed: 2);
                await Parallel.ForAsync(0, int.Parse(count), async (_, ct) =>
                    await store.WriteBlobAsync(MediaTypes.OciLayer, content, ct));
                return 0;
            }
            default:
                await Console.Error.WriteLineAsync($"unknown store child command: {string.Join(' ', args)}");
                return 2;
        }
    }

    /// <summary>Starts this assembly as a child process running <paramref name="args"/>.</summary>
    public static Process Start(params string[] args)
    {
        var start = new ProcessStartInfo(DotnetHost())
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add("exec");
        start.ArgumentList.Add(typeof(StoreChild).Assembly.Location);
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }
        return Process.Start(start) ?? throw new InvalidOperationException("could not start the store child process");
    }

    /// <summary>Runs a child to completion and fails the test if it did not succeed.</summary>
    public static async Task RunAsync(params string[] args)
    {
        using var process = Start(args);
        var error = process.StandardError.ReadToEndAsync();
        await process.StandardOutput.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        await process.WaitForExitAsync(timeout.Token);
        Assert.True(process.ExitCode == 0, $"store child {string.Join(' ', args)} exited {process.ExitCode}: {await error}");
    }

    private static string DotnetHost()
    {
        // Under `dotnet test` the test host runs in dotnet itself; elsewhere fall back to the SDK's hint or PATH.
        var self = Environment.ProcessPath;
        if (self is not null && Path.GetFileNameWithoutExtension(self) == "dotnet")
        {
            return self;
        }
        return Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host ? host : "dotnet";
    }
}

/// <summary>Deterministic test bytes.</summary>
public static class TestContent
{
    public static byte[] Bytes(int size, int seed)
    {
        var bytes = new byte[size];
        new Random(seed).NextBytes(bytes);
        return bytes;
    }
}
