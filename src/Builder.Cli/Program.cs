using System.CommandLine;

namespace Builder.Cli;

public static class Program
{
    public static int Main(string[] args)
    {
        var root = new RootCommand("Builder: Dockerfile to OCI image, no daemon, no root.");
        return root.Parse(args).Invoke();
    }
}
