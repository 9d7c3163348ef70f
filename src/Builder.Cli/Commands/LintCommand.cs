using System.CommandLine;
using Builder.Dockerfile.Ignore;
using Builder.Lint;
using Builder.Lint.Formatters;
using Builder.Lint.ShellCheck;

namespace Builder.Cli.Commands;

/// <summary><c>builder lint</c>: hadolint's rules and BuildKit's checks, hadolint's flags, config and formats.</summary>
internal static class LintCommand
{
    public static Command Create(CliIo io)
    {
        var files = new Argument<string[]>("DOCKERFILE") { Description = "Dockerfiles to lint", Arity = ArgumentArity.ZeroOrMore };
        var formatOption = new Option<string>("--format", "-f") { Description = "tty, json, sarif, checkstyle or gnu", DefaultValueFactory = _ => "tty" };
        formatOption.AcceptOnlyFromAmong([.. LintFormatter.Formats]);
        var config = new Option<string?>("--config", "-c") { Description = "A .hadolint.yaml (default: found where hadolint looks)" };
        var ignore = new Option<string[]>("--ignore") { Description = "A rule to ignore (repeatable)" };
        var threshold = new Option<string?>("--failure-threshold", "-t") { Description = "error, warning, info, style or none (default: the config's, else info)" };
        var noFail = new Option<bool>("--no-fail") { Description = "Exit 0 even with findings" };
        var explain = new Option<string?>("--explain") { Description = "Explain a rule: why, with a bad and a good example" };
        var shellcheck = new Option<string>("--shellcheck")
        {
            Description = "ShellCheck on RUN scripts: auto (when shellcheck is on PATH), off, or the executable's path",
            DefaultValueFactory = _ => "auto",
        };
        var command = new Command("lint", "Lint Dockerfiles with hadolint's rules, ShellCheck and BuildKit's checks")
        {
            files, formatOption, config, ignore, threshold, noFail, explain, shellcheck,
        };
        command.SetAction(async (result, cancellationToken) =>
        {
            if (result.GetValue(explain) is { } id)
            {
                var rule = DockerfileLinter.Rule(id) ?? throw new UsageException($"unknown rule {id}");
                io.Out.WriteLine(rule.BadExample.Length == 0
                    ? $"{rule.Id} ({LintFormatter.Level(rule.DefaultSeverity)}): {rule.Title}\n\n{rule.Rationale}"
                    : $"{rule.Id} ({LintFormatter.Level(rule.DefaultSeverity)}): {rule.Title}\n\n{rule.Rationale}\n\nBad:\n{Indent(rule.BadExample)}\n\nGood:\n{Indent(rule.GoodExample)}\n\n{rule.DocsUri}");
                return ExitCodes.Ok;
            }
            var paths = result.GetValue(files) ?? [];
            if (paths.Length == 0)
            {
                throw new UsageException("lint needs at least one DOCKERFILE");
            }
            var configPath = result.GetValue(config) ?? LintConfig.Find(Directory.GetCurrentDirectory(), Environment.GetEnvironmentVariable);
            var settings = configPath is null ? LintConfig.Default : ReadConfig(configPath);
            settings = settings with { Ignored = new HashSet<string>(settings.Ignored.Concat(result.GetValue(ignore) ?? []), StringComparer.Ordinal) };
            if (result.GetValue(threshold) is { } level)
            {
                settings = settings with { FailureThreshold = ParseThreshold(level) };
            }
            var shellCheckSetting = result.GetValue(shellcheck)!;
            ShellChecker? checker;
            try
            {
                checker = ShellChecker.Resolve(shellCheckSetting, Environment.GetEnvironmentVariable);
            }
            catch (FileNotFoundException e)
            {
                throw new UsageException($"--shellcheck: {e.Message}");
            }
            var format = result.GetValue(formatOption)!;
            if (checker is null && shellCheckSetting == "auto" && format == "tty")
            {
                io.Error.WriteLine("notice: shellcheck is not on PATH: RUN scripts are not checked (install shellcheck, or pass --shellcheck=off)");
            }
            var texts = paths.Select(p => (Path: p, Text: CliFiles.ReadText(p))).ToList();
            // Every Dockerfile's scripts in one batch: a shellcheck process per CPU, not one per file.
            checker?.Prefetch(texts.SelectMany(t => DockerfileLinter.ShellCheckScriptsOf(t.Text, Path.GetFileName(t.Path))));
            var results = new List<(string, IReadOnlyList<LintFinding>)>();
            // Base images' platforms come from the local store when there is one; linting never creates a store.
            using var images = File.Exists(Path.Combine(Oci.Content.StoreLocation.Resolve(), Oci.Content.OciLayoutStore.IndexFileName))
                ? await LocalImages.OpenAsync(cancellationToken) : null;
            foreach (var (path, text) in texts)
            {
                // Beside the Dockerfile, and named as the Dockerfile was: a bad pattern is "dir/.dockerignore:3: …".
                var ignoreFile = DockerIgnore.CandidateFiles(Path.GetFileName(path)).Select(c => Path.Join(Path.GetDirectoryName(path), c)).FirstOrDefault(File.Exists);
                var patterns = ignoreFile is null ? null : DockerIgnore.ReadPatterns(await File.ReadAllTextAsync(ignoreFile, cancellationToken), ignoreFile);
                var inputs = new LintInputs(patterns, images is null ? null : image => BaseImagePlatform(images, image, cancellationToken), Oci.Platform.Host.ToString())
                {
                    ShellCheck = checker,
                };
                results.Add((path, DockerfileLinter.Lint(text, Path.GetFileName(path), settings, inputs)));
            }
            io.Out.Write(LintFormatter.Format(format, results, color: !Console.IsOutputRedirected));
            var fails = !settings.NoFail && !result.GetValue(noFail) && results.Any(r => DockerfileLinter.Fails(r.Item2, settings.FailureThreshold));
            return fails ? ExitCodes.Failure : ExitCodes.Ok;
        });
        return command;
    }

    /// <summary>A .hadolint.yaml; one that is not valid is a failure naming the file (and the line, when the YAML is broken).</summary>
    internal static LintConfig ReadConfig(string path)
    {
        try
        {
            return LintConfig.Parse(CliFiles.ReadText(path));
        }
        catch (YamlDotNet.Core.YamlException e)
        {
            throw new InvalidDataException($"{path}:{e.Start.Line}:{e.Start.Column}: {e.Message}", e);
        }
        catch (FormatException e)
        {
            throw new InvalidDataException($"{path}: {e.Message}", e);
        }
    }

    private static Severity ParseThreshold(string level)
    {
        try
        {
            return LintConfig.ParseSeverity(level);
        }
        catch (FormatException e)
        {
            throw new UsageException($"--failure-threshold: {e.Message}");
        }
    }

    /// <summary>A base image's platform when the local store has it (InvalidBaseImagePlatform); null otherwise.</summary>
    private static string? BaseImagePlatform(LocalImages images, string image, CancellationToken cancellationToken)
    {
        if (!Oci.References.ImageReference.TryParse(image, out var reference)
            || images.Store.GetAsync(reference, cancellationToken).GetAwaiter().GetResult() is not { } target
            || !Oci.MediaTypes.IsManifest(target.MediaType))
        {
            return null;
        }
        var config = Oci.Images.StoredImage.LoadAsync(images.Store, target, null, cancellationToken).GetAwaiter().GetResult().Config.Value;
        return config.Platform.ToString();
    }

    private static string Indent(string text) => string.Join('\n', text.Split('\n').Select(l => "    " + l));
}
