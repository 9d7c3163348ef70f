namespace Builder.Cli;

/// <summary>Reads repeated <c>K=V</c> options such as <c>--build-arg</c> and <c>--label</c>.</summary>
internal static class KeyValueArguments
{
    /// <summary>The pairs, the last one of a name winning; <c>K</c> alone takes the value of the environment variable K, as docker does.</summary>
    public static IReadOnlyDictionary<string, string> Parse(IEnumerable<string>? values, string option)
    {
        var pairs = new Dictionary<string, string>();
        foreach (var value in values ?? [])
        {
            var equals = value.IndexOf('=');
            if (equals == 0)
            {
                throw new UsageException($"{option} {value}: the name before '=' is empty");
            }
            if (equals > 0)
            {
                pairs[value[..equals]] = value[(equals + 1)..];
            }
            else if (Environment.GetEnvironmentVariable(value) is { } fromEnvironment)
            {
                pairs[value] = fromEnvironment;
            }
        }
        return pairs;
    }
}
