using System.Text;
using Builder.Dockerfile.Binding;
using Builder.Engine.Semantics;
using Builder.Oci;
using Builder.Sandbox;
using Builder.Sandbox.Mounts;

namespace Builder.Engine.Solver;

/// <summary>
/// One RUN: its process, environment and mounts; a cache hit reuses its layer, a miss runs it in the sandbox over
/// the stage's layers and keeps what it changed. A failure names the Dockerfile line, the command, its exit code
/// and the last lines it printed.
/// </summary>
internal sealed class RunStep(BuildSession session, StepInput input, RunInstruction run)
{
    private const int TailLines = 12;

    public async Task<StepOutput> ExecuteAsync(StepContext step, CancellationToken cancellationToken)
    {
        var config = input.Config;
        var shell = config.Shell is { Count: > 0 } s ? s : ["/bin/sh", "-c"];
        var args = run.Heredocs.Count > 0 && run.Command.IsShellForm && run.Command.Words is [var only] && only.TrimStart().StartsWith("<<", StringComparison.Ordinal)
            ? [.. shell, run.Heredocs[0].Body] // RUN <<EOF: the heredoc is the script
            : run.Command.ToArgs(shell);
        var env = input.Variables.RunEnvironment();
        var mounts = run.Mounts.Select(RunMount.Parse).ToList();
        var network = run.Network switch
        {
            "none" => SandboxNetwork.None,
            "host" => SandboxNetwork.Host,
            _ => session.Request.Network,
        };
        var buildArgs = input.Variables.ArgsWithValues;
        var createdBy = "RUN " + (buildArgs.Count > 0 ? $"|{buildArgs.Count} {string.Join(' ', buildArgs.Select(a => $"{a.Key}={a.Value}"))} " : "")
            + string.Join(' ', args) + " # buildkit";
        // What bind mounts show is an input too: a changed context file (or stage) runs the step again.
        var key = CacheKey.Of(input.Key, "RUN", [string.Join('\0', args), string.Join('\0', env), config.User ?? "", input.WorkingDirectory,
            network.ToString(), string.Join('\0', run.Mounts), .. await BindInputsAsync(mounts, cancellationToken).ConfigureAwait(false)]);
        // A record without a layer comes from a build before empty RUN layers: it is run again.
        if (await step.LookupAsync(key, cancellationToken).ConfigureAwait(false) is { Layer: not null } hit)
        {
            return new StepOutput(key, hit, Cached: true, key, createdBy);
        }

        await using var snapshot = await session.Progress.TimeAsync(step.Vertex, "snapshot",
            () => session.Snapshotter.PrepareAsync(input.Layers, cancellationToken)).ConfigureAwait(false);
        var leases = new List<IDisposable>();
        var scratch = session.NewScratchDirectory();
        try
        {
            var sandboxMounts = new List<SandboxMount>();
            var secretEnv = new List<string>();
            foreach (var mount in mounts)
            {
                sandboxMounts.AddRange(await MountAsync(mount, scratch, leases, secretEnv, cancellationToken).ConfigureAwait(false));
            }
            var spec = new ExecSpec
            {
                Args = args,
                Env = [.. env, .. secretEnv],
                User = config.User ?? "",
                WorkingDirectory = input.WorkingDirectory,
                Network = network,
                Mounts = sandboxMounts,
                EnvHoldsSecrets = secretEnv.Count > 0,
            };
            var tail = new LineSink(session.Progress, step.Vertex, TailLines);
            int exitCode;
            using (var output = new LineStream(tail, isError: false))
            using (var error = new LineStream(tail, isError: true))
            {
                exitCode = await session.Progress.TimeAsync(step.Vertex, "run",
                    () => session.Executor.RunAsync(spec, snapshot, new ProcessIo(null, output, error), cancellationToken)).ConfigureAwait(false);
            }
            if (exitCode != 0)
            {
                // The step runner reports the failure on the step's vertex.
                throw new StepFailedException(session.FileName, run.Span.Start.Line, string.Join(' ', args), exitCode, tail.Format());
            }
            // A RUN that changed nothing still adds a layer, an empty one, as BuildKit's exec ops do.
            var layer = await session.Progress.TimeAsync(step.Vertex, "layer write",
                    () => session.Snapshotter.CommitDiffAsync(snapshot, session.Store, session.LayerOptions, cancellationToken), l => l?.UncompressedSize ?? 0)
                .ConfigureAwait(false)
                ?? await session.WriteLayerAsync([], null, cancellationToken).ConfigureAwait(false);
            return new StepOutput(key, new CacheRecord(layer.Compressed, layer.DiffId), Cached: false, key, createdBy);
        }
        finally
        {
            foreach (var lease in leases)
            {
                lease.Dispose();
            }
            Sandbox.Snapshots.LayerCache.DeleteTree(scratch);
        }
    }

    /// <summary>A digest of what each bind mount shows: the context files under its source, or the stage's or image's layers.</summary>
    private async Task<IReadOnlyList<string>> BindInputsAsync(IReadOnlyList<RunMount> mounts, CancellationToken cancellationToken)
    {
        var inputs = new List<string>();
        foreach (var mount in mounts.Where(m => m.Type == MountType.Bind))
        {
            if (mount.From is null)
            {
                Semantics.ICopySourceTree tree = new Semantics.ContextSourceTree(session.Context);
                var resolved = tree.Follow(string.Join('/', Semantics.SourceTrees.Clean(mount.Source ?? "")));
                var paths = resolved is null ? [] : tree.Stat(resolved) is { IsDirectory: true } ? [resolved, .. tree.Walk(resolved, null)] : new[] { resolved }.AsEnumerable();
                inputs.Add("context:" + (resolved ?? "") + ":" + session.Context.Hash(paths));
            }
            else
            {
                inputs.Add("from:" + string.Join(',', (await LayersOfAsync(mount.From, cancellationToken).ConfigureAwait(false)).Select(l => l.DiffId)));
            }
        }
        return inputs;
    }

    /// <summary>A mount's target: a relative one is under the step's working directory, as BuildKit resolves it.</summary>
    private string TargetOf(RunMount mount) =>
        mount.Target.Length == 0 || mount.Target.StartsWith('/') ? mount.Target : StepFiles.NormalizeAbsolute(input.WorkingDirectory + "/" + mount.Target);

    private async Task<IReadOnlyList<SandboxMount>> MountAsync(RunMount mount, string scratch, List<IDisposable> leases, List<string> env, CancellationToken cancellationToken)
    {
        mount = mount with { Id = mount.Id ?? (mount.Type == MountType.Cache ? mount.Target : null), Target = TargetOf(mount) };
        switch (mount.Type)
        {
            case MountType.Cache:
                var cacheId = mount.Id ?? mount.Target;
                Func<string, CancellationToken, Task>? seed = null;
                if (mount.From is not null)
                {
                    // BuildKit starts such a cache from the source's content, one cache per id and source content.
                    var (tree, identity) = await SourceTreeAsync(mount.From, cancellationToken).ConfigureAwait(false);
                    cacheId += "\0from:" + identity + "\0" + (mount.Source ?? "/");
                    seed = (directory, _) =>
                    {
                        Semantics.MountSourceCopy.CopyContents(tree, mount.Source ?? "/", directory);
                        return Task.CompletedTask;
                    };
                }
                var lease = await session.CacheMounts.AcquireAsync(session.CacheMountExchange.Track(
                    new CacheMountRequest(cacheId, (Sandbox.Mounts.CacheSharing)(int)mount.Sharing)
                    {
                        UserId = mount.Uid ?? 0,
                        GroupId = mount.Gid ?? 0,
                        Mode = (UnixFileMode)(mount.Mode ?? 0b111_101_101),
                        Seed = seed,
                    }),
                    cancellationToken).ConfigureAwait(false);
                leases.Add(lease);
                return [new BindMount(mount.Target, lease.Directory, mount.ReadOnly)];
            case MountType.Secret:
                var id = mount.Id ?? Path.GetFileName(mount.Target);
                if (!session.Request.Secrets.TryGetValue(id, out var secret))
                {
                    return mount.Required ? throw new BuildException($"secret {id} not found (pass it with --secret id={id},src=FILE)") : [];
                }
                var bytes = secret.Read();
                if (mount.Env is { } variable)
                {
                    env.Add($"{variable}={Encoding.UTF8.GetString(bytes)}");
                    if (mount.Target.Length == 0)
                    {
                        return [];
                    }
                }
                // The executor keeps the bytes in memory (a tmpfs file bound read-only): never in the layer, never on disk.
                return [new SecretMount(string.IsNullOrEmpty(mount.Target) ? $"/run/secrets/{id}" : mount.Target, bytes,
                    mount.Uid ?? 0, mount.Gid ?? 0, (UnixFileMode)(mount.Mode ?? 0b100_000_000))];
            case MountType.Tmpfs:
                return [new TmpfsMount(mount.Target, mount.SizeBytes ?? 0)];
            case MountType.Ssh:
                if (Environment.GetEnvironmentVariable("SSH_AUTH_SOCK") is not { Length: > 0 } socket)
                {
                    return mount.Required ? throw new BuildException("RUN --mount=type=ssh: no SSH agent (SSH_AUTH_SOCK is not set)") : [];
                }
                var target = string.IsNullOrEmpty(mount.Target) ? "/run/buildkit/ssh_agent.0" : mount.Target;
                env.Add($"SSH_AUTH_SOCK={target}");
                return [new BindMount(target, socket, ReadOnly: true)];
            default:
                return [await BindAsync(mount, scratch, cancellationToken).ConfigureAwait(false)];
        }
    }

    /// <summary>
    /// A bind of the context, a stage or an image: what its source names, resolved inside that tree and copied into
    /// the scratch directory, then mounted from there by descriptor (<see cref="BindMount.Root"/>). Read-only unless
    /// <c>rw</c>; a writable one changes only the copy, which goes with the step.
    /// </summary>
    private async Task<SandboxMount> BindAsync(RunMount mount, string scratch, CancellationToken cancellationToken)
    {
        var (tree, _) = await SourceTreeAsync(mount.From, cancellationToken).ConfigureAwait(false);
        var root = Directory.CreateDirectory(Path.Combine(scratch, "bind-" + Guid.NewGuid().ToString("N"))).FullName;
        var path = Semantics.MountSourceCopy.CopyOut(tree, mount.Source ?? "", root);
        return new BindMount(mount.Target, path, mount.ReadOnly) { Root = root };
    }

    private async Task<IReadOnlyList<Oci.Images.ILayer>> LayersOfAsync(string from, CancellationToken cancellationToken) =>
        input.Stages.Resolve(input.Variables.Expand(from)) is { } index && session.Stages.TryGetValue(index, out var built)
            ? (await built.ConfigureAwait(false)).Layers
            : (await session.ResolveImageAsync(from, null, 0, cancellationToken).ConfigureAwait(false)).Layers;

    /// <summary>What a mount's <c>from=</c> names (the context when absent), and a name for its content.</summary>
    private async Task<(Semantics.ICopySourceTree Tree, string Identity)> SourceTreeAsync(string? from, CancellationToken cancellationToken)
    {
        if (from is null)
        {
            return (new Semantics.ContextSourceTree(session.Context), "context");
        }
        var layers = await LayersOfAsync(from, cancellationToken).ConfigureAwait(false);
        var view = await session.Layers.ViewAsync(layers, cancellationToken).ConfigureAwait(false);
        return (new Semantics.ViewSourceTree(view), Digest.Of(Encoding.UTF8.GetBytes(string.Join(',', layers.Select(l => l.DiffId)))).Hex);
    }

    /// <summary>Keeps the last lines a step printed and reports each line as progress.</summary>
    private sealed class LineSink(IBuildProgress progress, int vertex, int keep)
    {
        private readonly Queue<string> _tail = new();
        private readonly Lock _gate = new();

        public void Line(string line, bool isError)
        {
            progress.Report(new VertexLog(vertex, DateTimeOffset.UtcNow, line, isError));
            lock (_gate)
            {
                _tail.Enqueue(line);
                if (_tail.Count > keep)
                {
                    _tail.Dequeue();
                }
            }
        }

        public string Format()
        {
            lock (_gate)
            {
                return _tail.Count == 0 ? "" : "\n" + string.Join('\n', _tail.Select(l => "  > " + l));
            }
        }
    }

    /// <summary>A write-only stream that cuts what is written into lines.</summary>
    private sealed class LineStream(LineSink sink, bool isError) : WriteOnlyStream
    {
        private readonly MemoryStream _pending = new();

        public override void Write(ReadOnlySpan<byte> buffer)
        {
            foreach (var b in buffer)
            {
                if (b == (byte)'\n')
                {
                    Emit();
                }
                else
                {
                    _pending.WriteByte(b);
                }
            }
        }

        protected override void Dispose(bool disposing)
        {
            if (disposing && _pending.Length > 0)
            {
                Emit();
            }
            base.Dispose(disposing);
        }

        private void Emit()
        {
            sink.Line(Encoding.UTF8.GetString(_pending.ToArray()).TrimEnd('\r'), isError);
            _pending.SetLength(0);
        }
    }
}
