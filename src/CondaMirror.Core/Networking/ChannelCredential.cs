namespace CondaMirror.Core.Networking;

/// <summary>
/// Credentials for every URL that starts with <paramref name="UrlPrefix"/> (matched at a path boundary,
/// longest prefix wins). Either a bearer token or user + password (HTTP Basic). Where they come from
/// (item metadata, environment variables) is the caller's business; this is just data.
/// </summary>
public sealed record ChannelCredential(string UrlPrefix, string? BearerToken, string? User, string? Password)
{
    // Never print the secrets, even in debugger views or test failure output.
    public override string ToString() =>
        $"ChannelCredential {{ UrlPrefix = {UrlRedaction.Redact(UrlPrefix)}, {(BearerToken is not null ? "Bearer" : User is not null ? "Basic" : "none")} }}";
}
