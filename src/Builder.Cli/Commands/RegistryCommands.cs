using System.CommandLine;
using Builder.Oci;
using Builder.Oci.Images;
using Builder.Oci.References;
using Builder.Registry;
using Builder.Registry.Credentials;

namespace Builder.Cli.Commands;

/// <summary>The verbs that talk to registries: pull, push, login, logout (docker's output shapes).</summary>
internal static class RegistryCommands
{
    public static IEnumerable<Command> Create(CliIo io) => [Pull(io), Push(io), Login(io), Logout(io)];

    internal static Option<string[]> InsecureRegistryOption() => new("--insecure-registry")
    {
        Description = "A registry (host[:port]) to reach without TLS verification or over plain HTTP (repeatable)",
        AllowMultipleArgumentsPerToken = false,
    };

    private static Command Pull(CliIo io)
    {
        var reference = new Argument<string>("NAME[:TAG|@DIGEST]") { Description = "The image to pull" };
        var platform = new Option<string?>("--platform") { Description = "Which platform of a multi-platform image (default: this machine's)" };
        var insecure = InsecureRegistryOption();
        var command = new Command("pull", "Pull an image from a registry into the local store") { reference, platform, insecure };
        command.SetAction(async (result, cancellationToken) =>
        {
            var name = ImageCommands.ParseReference(result.GetValue(reference)!);
            var wanted = ImageCommands.OptionalPlatform(result.GetValue(platform));
            using var images = await LocalImages.OpenAsync(cancellationToken);
            using var registries = RegistryAccess.CreateClient(result.GetValue(insecure));
            io.Out.WriteLine($"{name.Tag ?? name.Digest?.ToString()}: Pulling from {name.FamiliarName}");
            var progress = new SynchronousProgress(e => io.Out.WriteLine(e.Status switch
            {
                TransferStatus.AlreadyExists => $"{Short(e.Digest)}: Already exists",
                _ => $"{Short(e.Digest)}: Pull complete",
            }));
            var pulled = await new ImagePuller(registries, images.Store).PullAsync(name, wanted, progress, cancellationToken);
            io.Out.WriteLine($"Digest: {pulled.RepositoryDigest}");
            io.Out.WriteLine(pulled.WasUpToDate
                ? $"Status: Image is up to date for {name.FamiliarString}"
                : $"Status: Downloaded newer image for {name.FamiliarString}");
            io.Out.WriteLine(name.ToString());
            return ExitCodes.Ok;
        });
        return command;
    }

    private static Command Push(CliIo io)
    {
        var source = new Argument<string>("SOURCE") { Description = "A local image (name or ID)" };
        var destination = new Argument<string?>("DESTINATION") { Description = "Where to push it (default: the source's name)", Arity = ArgumentArity.ZeroOrOne };
        var insecure = InsecureRegistryOption();
        var compression = new Option<string?>("--compression") { Description = "gzip (default) or zstd for the layers the store holds uncompressed" };
        var level = new Option<string?>("--compression-level") { Description = "gzip 0-9 (default 6), zstd 1-22 (default 3)" };
        var force = new Option<bool>("--force-compression") { Description = "Recompress layers compressed the other way too" };
        var command = new Command("push", "Push an image from the local store to a registry") { source, destination, insecure, compression, level, force };
        command.SetAction(async (result, cancellationToken) =>
        {
            using var images = await LocalImages.OpenAsync(cancellationToken);
            var (sourceName, target) = await images.FindAsync(result.GetValue(source)!, cancellationToken);
            var destinationName = result.GetValue(destination) is { } text ? ImageCommands.ParseReference(text)
                : sourceName ?? throw new UsageException("the source is an image ID: name a DESTINATION to push it to");
            using var registries = RegistryAccess.CreateClient(result.GetValue(insecure));
            var mounts = await MountSources.FindAsync(images.Store, images.Store, destinationName, cancellationToken);
            io.Out.WriteLine($"The push refers to repository [{destinationName.Name}]");
            var progress = new SynchronousProgress(e => io.Out.WriteLine(e.Status switch
            {
                TransferStatus.AlreadyExists => $"{Short(e.Digest)}: Layer already exists",
                TransferStatus.Mounted => $"{Short(e.Digest)}: Mounted from {e.Source}",
                _ => $"{Short(e.Digest)}: Pushed",
            }));
            CompressionChoice choice;
            try
            {
                choice = Engine.Outputs.BuildOutput.ParseCompression(result.GetValue(compression), result.GetValue(level), result.GetValue(force));
            }
            catch (FormatException e)
            {
                throw new UsageException("--" + e.Message);
            }
            var compressed = await new ImageCompression(images.Store, choice).CompressAsync(target, cancellationToken);
            var pushed = await new ImagePusher(registries, images.Store).PushAsync(compressed, destinationName, mounts, progress, cancellationToken);
            io.Out.WriteLine($"{destinationName.Tag ?? ImageReference.DefaultTag}: digest: {pushed.Manifest.Digest} size: {pushed.Manifest.Size}");
            // Signatures, SBOM and provenance go along, after the image they refer to.
            foreach (var referrer in await Signing.Referrers.ReferrerPush.PushAsync(registries, images.Store, pushed.Manifest, destinationName, null, cancellationToken))
            {
                io.Out.WriteLine($"{referrer.ArtifactType}: referrer: {referrer.Digest} size: {referrer.Size}");
            }
            return ExitCodes.Ok;
        });
        return command;
    }

    private static Command Login(CliIo io)
    {
        var server = new Argument<string?>("SERVER") { Description = "The registry (default: docker.io)", Arity = ArgumentArity.ZeroOrOne };
        var user = new Option<string?>("--username", "-u") { Description = "User name" };
        var password = new Option<string?>("--password", "-p") { Description = "Password or token (prefer --password-stdin)" };
        var passwordStdin = new Option<bool>("--password-stdin") { Description = "Read the password from standard input" };
        var insecure = InsecureRegistryOption();
        var command = new Command("login", "Log in to a registry and keep the credentials in the docker config") { server, user, password, passwordStdin, insecure };
        command.SetAction(async (result, cancellationToken) =>
        {
            var registry = RegistryAccess.RegistryHost(result.GetValue(server));
            var username = result.GetValue(user) is { Length: > 0 } u ? u : throw new UsageException("login needs a user name (--username)");
            var secret = result.GetValue(passwordStdin)
                ? (result.GetValue(password) is null ? (await io.In.ReadToEndAsync(cancellationToken)).TrimEnd('\r', '\n')
                    : throw new UsageException("--password and --password-stdin are mutually exclusive"))
                : result.GetValue(password) ?? throw new UsageException("login needs a password (--password or --password-stdin)");
            var credential = new RegistryCredential(username, secret);
            using var registries = RegistryAccess.CreateClient(result.GetValue(insecure));
            await registries.LoginAsync(registry, credential, cancellationToken);
            await RegistryAccess.CredentialStore().StoreAsync(registry, credential, cancellationToken);
            if (!result.GetValue(passwordStdin))
            {
                // After the outcome, so that a failed login is one message.
                io.Error.WriteLine("WARNING! Using --password via the CLI is insecure. Use --password-stdin.");
            }
            io.Out.WriteLine("Login Succeeded");
            return ExitCodes.Ok;
        });
        return command;
    }

    private static Command Logout(CliIo io)
    {
        var server = new Argument<string?>("SERVER") { Description = "The registry (default: docker.io)", Arity = ArgumentArity.ZeroOrOne };
        var command = new Command("logout", "Remove a registry's credentials from the docker config") { server };
        command.SetAction(async (result, cancellationToken) =>
        {
            var registry = RegistryAccess.RegistryHost(result.GetValue(server));
            var removed = await RegistryAccess.CredentialStore().EraseAsync(registry, cancellationToken);
            io.Out.WriteLine(removed ? $"Removing login credentials for {registry}" : $"Not logged in to {registry}");
            return ExitCodes.Ok;
        });
        return command;
    }

    private static string Short(Digest digest) => digest.Hex[..12];

    /// <summary>Reports on the caller's thread at once (Progress&lt;T&gt; would post to the thread pool and reorder lines).</summary>
    internal sealed class SynchronousProgress(Action<TransferEvent> report) : IProgress<TransferEvent>
    {
        private readonly Lock _gate = new();

        public void Report(TransferEvent value)
        {
            lock (_gate)
            {
                report(value);
            }
        }
    }
}
