namespace Builder.Registry.Auth;

/// <summary>
/// The token scopes a request needs (<c>repository:app:pull,push</c>), carried on the request so the auth handler
/// can ask the token realm for exactly them.
/// </summary>
public static class RegistryScope
{
    public static readonly HttpRequestOptionsKey<IReadOnlyList<string>> Key = new("Builder.Registry.Scopes");

    public static string Repository(string repository, bool push) => $"repository:{repository}:{(push ? "pull,push" : "pull")}";

    public static HttpRequestMessage WithScopes(this HttpRequestMessage request, IReadOnlyList<string> scopes)
    {
        request.Options.Set(Key, scopes);
        return request;
    }

    public static IReadOnlyList<string> Of(HttpRequestMessage request) =>
        request.Options.TryGetValue(Key, out var scopes) ? scopes : [];
}
