using CondaMirror.Core.Errors;

namespace CondaMirror.Core.Networking;

/// <summary>
/// How one configured channel authenticates, as a host knows it (for MSBuild: a CondaChannel item and its metadata).
/// Only names of environment variables and, for <see cref="BearerToken"/>, a literal token; the secrets themselves are
/// read by <see cref="CredentialSet.FromChannels"/>, so a host never handles them.
/// </summary>
/// <param name="Channel">The channel as written: a name, a URL (which may itself carry <c>user:pass@</c> or <c>/t/&lt;token&gt;/</c>) or a folder.</param>
public sealed record ChannelAuthSettings(string Channel)
{
    /// <summary>A literal bearer token.</summary>
    public string? BearerToken { get; init; }

    /// <summary>The environment variable holding the bearer token (used when <see cref="BearerToken"/> is empty).</summary>
    public string? BearerTokenEnvironmentVariable { get; init; }

    /// <summary>The environment variables holding the HTTP Basic user name and password: both or neither.</summary>
    public string? UserEnvironmentVariable { get; init; }

    public string? PasswordEnvironmentVariable { get; init; }

    // The token must never reach test output or debugger views.
    public override string ToString() => $"ChannelAuthSettings {{ Channel = {UrlRedaction.RedactUrlOrText(Channel)} }}";
}

/// <summary>
/// Every credential one run knows: the configured ones (URL prefix → bearer token or user + password, longest prefix
/// wins) and the channels whose own URL carries credentials, so that a credential-free URL taken from a lock can be
/// turned back into the URL to request. The one place that reads secrets from the environment; requests get their
/// headers from it through <see cref="NetworkClient"/>.
/// </summary>
public sealed class CredentialSet
{
    public static CredentialSet None { get; } = new(Array.Empty<ChannelCredential>());

    private readonly UrlRoot[] _urlRoots;

    /// <param name="roots">Channel roots; those whose URL carries credentials serve <see cref="RequestUrl"/>.</param>
    public CredentialSet(IEnumerable<ChannelCredential> configured, IEnumerable<UrlRoot>? roots = null)
    {
        Configured = configured.ToArray();
        _urlRoots = (roots ?? Array.Empty<UrlRoot>()).Where(r => r.HasCredentials).ToArray();
    }

    /// <summary>Both sets' credentials and credential-carrying roots (e.g. CondaChannel items' and CondaChannelSubset items').</summary>
    public CredentialSet Union(CredentialSet other) => new(Configured.Concat(other.Configured), _urlRoots.Concat(other._urlRoots));

    /// <summary>Credentials configured per URL prefix (bearer or basic).</summary>
    public IReadOnlyList<ChannelCredential> Configured { get; }

    /// <summary>
    /// Reads the credentials of <paramref name="channels"/>: a literal bearer token, or one from the environment variable
    /// named, or user and password from two environment variables (values that never pass through the host, so no
    /// build log can show them). Channels whose URL carries credentials are kept for <see cref="RequestUrl"/>.
    /// A variable named but not set, or only one of user and password, is InvalidBuildSetting.
    /// </summary>
    /// <param name="resolve">What a channel spec means as a root URL (Channels' <c>ChannelResolver.RootResolver</c>);
    /// credentials apply to everything under its public form.</param>
    /// <param name="environment">Reads an environment variable; the process environment by default (tests pass their own).</param>
    /// <param name="itemName">What the settings are called in messages (the MSBuild item: CondaChannel, CondaPyPIIndex).</param>
    public static CredentialSet FromChannels(IEnumerable<ChannelAuthSettings> channels, Func<string, UrlRoot> resolve,
        Func<string, string?>? environment = null, string itemName = "CondaChannel")
    {
        environment ??= Environment.GetEnvironmentVariable;
        var list = channels.ToList();
        var configured = new List<ChannelCredential>();
        foreach (var channel in list)
        {
            var token = channel.BearerToken;
            if (string.IsNullOrEmpty(token)) token = FromEnvironment(channel, channel.BearerTokenEnvironmentVariable, "BearerTokenEnvironmentVariable", "token", environment, itemName);
            var user = FromEnvironment(channel, channel.UserEnvironmentVariable, "UserEnvironmentVariable", "user name", environment, itemName);
            var password = FromEnvironment(channel, channel.PasswordEnvironmentVariable, "PasswordEnvironmentVariable", "password", environment, itemName);
            if ((user is null) != (password is null))
                throw new CondaMirrorException(ErrorCodes.InvalidBuildSetting,
                    $"{itemName} '{channel.Channel}' sets only one of UserEnvironmentVariable and PasswordEnvironmentVariable; basic authentication needs both.");
            if (string.IsNullOrEmpty(token) && user is null) continue;
            var prefix = resolve(channel.Channel).Public.AbsoluteUri;
            configured.Add(string.IsNullOrEmpty(token)
                ? new ChannelCredential(prefix, null, user, password)
                : new ChannelCredential(prefix, token, null, null));
        }
        // After every configured credential was read, so a missing variable is reported before a bad channel spec, as before.
        var roots = list.Select(c => resolve(c.Channel)).ToList();
        return new CredentialSet(configured, roots);
    }

    /// <summary>
    /// Credentials for package indexes (PyPI's simple indexes), whose files usually lie outside the index URL
    /// (<c>/simple/</c> lists, <c>/packages/</c> serves): what <see cref="FromChannels"/> reads, plus <c>user:pass@</c>
    /// in an index URL as a Basic credential for the index's public prefix, plus, for each file whose index has a
    /// credential and which lies on that index's scheme, host and port, the same credential for the file's exact URL.
    /// A file on another host (a CDN) gets none: a secret is never sent where it was not configured for, as pip does.
    /// </summary>
    /// <param name="files">Each file's URL and the index its lock entry names (null when none).</param>
    public static CredentialSet FromIndexes(IEnumerable<ChannelAuthSettings> indexes, Func<string, UrlRoot> resolve,
        IEnumerable<(string FileUrl, string? IndexUrl)> files, Func<string, string?>? environment = null, string itemName = "index")
    {
        var list = indexes.ToList();
        var configured = new List<ChannelCredential>(FromChannels(list, resolve, environment, itemName).Configured);
        foreach (var root in list.Select(i => resolve(i.Channel)).Where(r => r.HasCredentials && !string.IsNullOrEmpty(r.Request.UserInfo)))
        {
            var info = root.Request.UserInfo;
            var colon = info.IndexOf(':');
            configured.Add(new ChannelCredential(root.Public.AbsoluteUri, null,
                Uri.UnescapeDataString(colon >= 0 ? info[..colon] : info), colon >= 0 ? Uri.UnescapeDataString(info[(colon + 1)..]) : ""));
        }

        var derived = new List<ChannelCredential>();
        foreach (var (fileUrl, indexUrl) in files)
        {
            if (indexUrl is null || !Uri.TryCreate(fileUrl, UriKind.Absolute, out var file) || !Uri.TryCreate(indexUrl, UriKind.Absolute, out var index)) continue;
            if (HttpAuthentication.FindCredential(file.AbsoluteUri, configured) is not null) continue;
            if (HttpAuthentication.FindCredential(index.AbsoluteUri, configured) is not { } credential) continue;
            if (!SameOrigin(file, index)) continue;
            // The URL as requests spell it (Uri's canonical form), so the prefix match sees the same string.
            derived.Add(credential with { UrlPrefix = file.AbsoluteUri });
        }
        return new CredentialSet(configured.Concat(derived));
    }

    private static bool SameOrigin(Uri a, Uri b) =>
        string.Equals(a.Scheme, b.Scheme, StringComparison.OrdinalIgnoreCase) &&
        string.Equals(a.Host, b.Host, StringComparison.OrdinalIgnoreCase) && a.Port == b.Port;

    /// <summary>
    /// The URL to request for <paramref name="publicUrl"/>: a URL under a channel given with credentials in its own URL
    /// (locks hold the credential-free form) gets them back; any other URL is returned unchanged.
    /// </summary>
    public string RequestUrl(string publicUrl) =>
        _urlRoots.FirstOrDefault(r => r.Covers(publicUrl)) is { } root ? root.ToRequestUri(publicUrl).AbsoluteUri : publicUrl;

    /// <summary>What to send for <paramref name="url"/>: see <see cref="HttpAuthentication.Prepare"/>.</summary>
    public AuthenticatedTarget Authenticate(Uri url) => HttpAuthentication.Prepare(url, Configured);

    /// <summary>The value of the environment variable <paramref name="variable"/> names; null when it names none.</summary>
    private static string? FromEnvironment(ChannelAuthSettings channel, string? variable, string setting, string what, Func<string, string?> environment, string itemName)
    {
        if (string.IsNullOrEmpty(variable)) return null;
        var value = environment(variable);
        if (string.IsNullOrEmpty(value))
            throw new CondaMirrorException(ErrorCodes.InvalidBuildSetting,
                $"{itemName} '{channel.Channel}' takes its {what} from environment variable {variable}, which is not set. Set it, or remove {setting}.");
        return value;
    }
}
