namespace Builder.Cli;

public static class Program
{
    public static int Main(string[] args) => BuilderCli.Run(args, CliIo.Console);
}
