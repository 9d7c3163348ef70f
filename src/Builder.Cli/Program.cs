using Builder.Oci.Content;
using Builder.Sandbox.Runtime;

namespace Builder.Cli;

public static class Program
{
    // Verbs that run steps in the sandbox, or delete what steps made (files of subordinate ids), need to be root of a user namespace.
    private static readonly HashSet<string> SandboxVerbs = ["build", "run", "prune"];

    public static int Main(string[] args)
    {
        if (args.FirstOrDefault(a => !a.StartsWith('-')) is { } verb && SandboxVerbs.Contains(verb)
            && RootlessReexec.Command(args, new Dictionary<string, string> { [StoreLocation.RootVariable] = StoreLocation.Resolve() }) is { } reexec)
        {
            return RootlessReexec.Run(reexec);
        }
        return BuilderCli.Run(args, CliIo.Console);
    }
}
