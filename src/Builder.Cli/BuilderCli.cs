using System.Runtime.InteropServices;
using System.CommandLine;
using Builder.Cli.Commands;
using Builder.Dockerfile.Binding;

namespace Builder.Cli;

/// <summary>The <c>builder</c> command: its verbs, usage errors (exit 2) and failures (exit 1).</summary>
public static class BuilderCli
{
    public static int Run(string[] args, CliIo io)
    {
        var root = new RootCommand("Builder: Dockerfile to OCI image, no daemon, no root.")
        {
            ParseCommand.Create(io),
            GraphCommand.Create(io),
            RunCommand.Create(io),
            BuildCommand.Create(io),
            LintCommand.Create(io),
        };
        foreach (var command in ImageCommands.Create(io).Concat(RegistryCommands.Create(io)).Concat(SigningCommands.Create(io)))
        {
            root.Subcommands.Add(command);
        }
        var result = root.Parse(args);
        if (result.Errors.Count > 0)
        {
            foreach (var error in result.Errors)
            {
                io.Error.WriteLine($"error: {error.Message}");
            }
            io.Error.WriteLine($"Run 'builder {string.Join(' ', result.CommandResult.Command.Name)} --help' for usage.");
            return ExitCodes.Usage;
        }
        // SIGINT and SIGTERM cancel the verb, so a running step's container and mounts are cleaned up before exit.
        using var cancel = new CancellationTokenSource();
        using var interrupt = PosixSignalRegistration.Create(PosixSignal.SIGINT, Cancel);
        using var terminate = PosixSignalRegistration.Create(PosixSignal.SIGTERM, Cancel);
        try
        {
            var configuration = new InvocationConfiguration { Output = io.Out, Error = io.Error, EnableDefaultExceptionHandler = false, ProcessTerminationTimeout = null };
            return result.InvokeAsync(configuration, cancel.Token).GetAwaiter().GetResult();
        }
        catch (DockerfileException e)
        {
            io.Error.WriteLine($"error: {e.Message}");
            return ExitCodes.Failure;
        }
        catch (UsageException e)
        {
            io.Error.WriteLine($"error: {e.Message}");
            return ExitCodes.Usage;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or InvalidDataException or ImageNotFoundException
            or Oci.Images.PlatformNotFoundException or Oci.Layers.UnsafeLayerEntryException
            or Registry.RegistryException or Registry.Credentials.CredentialHelperException or HttpRequestException
            or Sandbox.SandboxException or Engine.BuildException or Signing.SigningException)
        {
            io.Error.WriteLine($"error: {e.Message}");
            return ExitCodes.Failure;
        }
        catch (OperationCanceledException)
        {
            io.Error.WriteLine("error: canceled");
            return ExitCodes.Failure;
        }
        catch (Exception e)
        {
            // A bug, not a user error: say so, and show where with BUILDER_DEBUG=1.
            io.Error.WriteLine($"error: internal error: {e.GetType().Name}: {e.Message}");
            if (Environment.GetEnvironmentVariable("BUILDER_DEBUG") is "1" or "true")
            {
                io.Error.WriteLine(e.ToString());
            }
            return ExitCodes.Failure;
        }

        void Cancel(PosixSignalContext context)
        {
            context.Cancel = true; // exit through the cancellation path, not at once
            cancel.Cancel();
        }
    }
}

/// <summary>A command line that parses but asks for something impossible (a bad K=V, say): exit code 2.</summary>
public sealed class UsageException(string message) : Exception(message);
