namespace Builder.Sandbox;

/// <summary>Runs a process isolated in a root file system (BuildKit's executor seam).</summary>
public interface IExecutor
{
    /// <summary>
    /// Runs <paramref name="spec"/> in <paramref name="rootfs"/> with its output streamed to <paramref name="io"/>;
    /// returns the exit code (128+signal when killed). Cancellation kills the process and cleans up before returning.
    /// </summary>
    Task<int> RunAsync(ExecSpec spec, ISnapshot rootfs, ProcessIo io, CancellationToken cancellationToken);
}

/// <summary>Where a sandboxed process's standard streams go. Null input means /dev/null.</summary>
public sealed record ProcessIo(Stream? Input, Stream Output, Stream Error);
