using System.CommandLine;
using Builder.Oci.Images;
using Builder.Oci.References;
using Builder.Registry;
using Builder.Sandbox;

namespace Builder.Cli.Commands;

/// <summary><c>builder run</c>: runs an image from the local store (pulled when missing) in the build sandbox.</summary>
internal static class RunCommand
{
    public static Command Create(CliIo io)
    {
        var image = new Argument<string>("IMAGE") { Description = "Image name or ID" };
        var command = new Argument<string[]>("COMMAND") { Description = "Command and arguments (default: the image's Cmd)", Arity = ArgumentArity.ZeroOrMore };
        var remove = new Option<bool>("--rm") { Description = "Accepted for docker compatibility: containers are always removed" };
        var network = new Option<string?>("--network") { Description = "bridge (the default: its own network, through pasta), host or none" };
        var publish = new Option<string[]>("--publish", "-p") { Description = "[IP:]HOST_PORT:CONTAINER_PORT[/tcp|udp]: forward a host port into the container (repeatable)" };
        var environment = new Option<string[]>("--env", "-e") { Description = "Set an environment variable (K=V)" };
        var user = new Option<string?>("--user", "-u") { Description = "User (name|uid[:group|gid])" };
        var workdir = new Option<string?>("--workdir", "-w") { Description = "Working directory in the container" };
        var entrypoint = new Option<string?>("--entrypoint") { Description = "Override the image's entrypoint" };
        var platform = new Option<string?>("--platform") { Description = "Which image of a multi-platform index" };
        var run = new Command("run", "Run a command in an image, in the same sandbox builds use")
        {
            image, command, remove, network, publish, environment, user, workdir, entrypoint, platform,
        };
        run.TreatUnmatchedTokensAsErrors = true;
        run.SetAction(async (result, cancellationToken) =>
        {
            var ports = new List<PublishedPort>();
            foreach (var text in result.GetValue(publish) ?? [])
            {
                try
                {
                    ports.Add(PublishedPort.Parse(text));
                }
                catch (FormatException e)
                {
                    throw new UsageException(e.Message);
                }
            }
            var networkMode = result.GetValue(network) switch
            {
                // docker's default: a network of its own (a RUN step keeps the host's, as BuildKit's do).
                null or "bridge" or "default" => SandboxNetwork.Private,
                "host" => SandboxNetwork.Host,
                "none" => SandboxNetwork.None,
                var other => throw new UsageException($"--network: '{other}' is not bridge, host or none"),
            };
            if (ports.Count > 0 && networkMode != SandboxNetwork.Private)
            {
                throw new UsageException($"-p publishes ports of the container's own network: it does not go with --network {result.GetValue(network)}");
            }
            using var images = await LocalImages.OpenAsync(cancellationToken);
            var wanted = ImageCommands.OptionalPlatform(result.GetValue(platform));
            var target = await FindOrPullAsync(images, result.GetValue(image)!, wanted, io, cancellationToken);
            var loaded = await StoredImage.LoadAsync(images.Store, target, wanted, cancellationToken);
            var config = loaded.Config.Value.Config ?? new ContainerConfig();
            // A foreign image runs under QEMU (binfmt_misc): without a handler, one line saying so, not "exec format error".
            if (loaded.Config.Value is { Architecture.Length: > 0, Os.Length: > 0 } imageConfig
                && Engine.BinfmtEmulators.Host.Missing(imageConfig.Platform, "run") is { } missing)
            {
                throw new Engine.BuildException(missing);
            }
            var spec = new ExecSpec
            {
                Args = Arguments(config, result.GetValue(entrypoint), result.GetValue(command) ?? []),
                Env = MergeEnvironment(config.Env ?? [], result.GetValue(environment) ?? []),
                User = result.GetValue(user) ?? config.User ?? "",
                WorkingDirectory = result.GetValue(workdir) ?? (string.IsNullOrEmpty(config.WorkingDir) ? "/" : config.WorkingDir),
                Network = networkMode,
                Ports = ports,
            };
            var sandbox = await images.Host.SandboxAsync(message => io.Error.WriteLine(message), cancellationToken);
            await using var snapshot = await sandbox.Snapshotter.PrepareAsync(loaded.Layers, cancellationToken);
            using var stdin = Console.IsInputRedirected ? Console.OpenStandardInput() : null;
            using var stdout = Console.OpenStandardOutput();
            using var stderr = Console.OpenStandardError();
            return await sandbox.Executor.RunAsync(spec, snapshot, new ProcessIo(stdin, stdout, stderr), cancellationToken);
        });
        return run;
    }

    /// <summary>
    /// docker run's rule: options end at the image; what follows is the container's command, "-la" and "--rm" included.
    /// A "--" put after the image tells System.CommandLine so. Other command lines are returned as they are.
    /// </summary>
    internal static string[] EndOptionsAtImage(Command root, string[] args)
    {
        if (args is not ["run", ..] || root.Subcommands.FirstOrDefault(c => c.Name == "run") is not { } run)
        {
            return args;
        }
        var takesValue = run.Options.Where(o => o.ValueType != typeof(bool)).SelectMany(o => o.Aliases.Append(o.Name)).ToHashSet();
        for (var i = 1; i < args.Length; i++)
        {
            if (args[i] == "--")
            {
                return args;
            }
            if (!args[i].StartsWith('-'))
            {
                return i + 1 < args.Length ? [.. args[..(i + 1)], "--", .. args[(i + 1)..]] : args;
            }
            if (takesValue.Contains(args[i]))
            {
                i++; // its value, unless given as --option=value
            }
        }
        return args;
    }

    /// <summary>docker's rule: ENTRYPOINT + (the given command, else the image's Cmd); an --entrypoint drops the image's Cmd.</summary>
    internal static IReadOnlyList<string> Arguments(ContainerConfig config, string? entrypoint, IReadOnlyList<string> command)
    {
        var head = entrypoint is null ? config.Entrypoint ?? [] : entrypoint.Length == 0 ? [] : [entrypoint];
        var tail = command.Count > 0 ? command : entrypoint is null ? config.Cmd ?? [] : [];
        var args = head.Concat(tail).ToList();
        return args.Count > 0 ? args : throw new UsageException("no command given and the image has neither Entrypoint nor Cmd");
    }

    internal static IReadOnlyList<string> MergeEnvironment(IReadOnlyList<string> image, IReadOnlyList<string> overrides)
    {
        var merged = image.ToList();
        foreach (var entry in overrides)
        {
            var name = entry.Split('=', 2)[0];
            if (name.Length == 0)
            {
                throw new UsageException($"-e: '{entry}' has no variable name");
            }
            // "-e NAME" passes the caller's value, as docker does.
            var value = entry.Contains('=') ? entry : Environment.GetEnvironmentVariable(name) is { } own ? $"{name}={own}" : null;
            merged.RemoveAll(e => e.Split('=', 2)[0] == name);
            if (value is not null)
            {
                merged.Add(value);
            }
        }
        return merged;
    }

    private static async Task<Oci.Descriptor> FindOrPullAsync(LocalImages images, string text, Oci.Platform? platform, CliIo io, CancellationToken cancellationToken)
    {
        try
        {
            return (await images.FindAsync(text, cancellationToken)).Target;
        }
        catch (ImageNotFoundException) when (ImageReference.TryParse(text, out var reference))
        {
            io.Error.WriteLine($"Unable to find image '{reference.FamiliarString}' locally");
            using var registries = RegistryAccess.CreateClient(null);
            var pulled = await new ImagePuller(registries, images.Store).PullAsync(reference, platform, null, cancellationToken);
            return pulled.Manifest;
        }
    }
}
