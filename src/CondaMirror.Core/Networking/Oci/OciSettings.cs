using System.Net.Http.Headers;
using System.Text;
using CondaMirror.Core.Errors;

namespace CondaMirror.Core.Networking.Oci;

/// <summary>
/// What the environment says about OCI registries: the hosts reached over plain http
/// (<c>CONDAMIRROR_OCI_PLAIN_HTTP_HOSTS</c>, comma-separated <c>host[:port]</c>; https everywhere else), and the
/// credentials a publish pushes with (<c>CONDAMIRROR_OCI_USERNAME</c> + <c>CONDAMIRROR_OCI_PASSWORD</c>, or a registry
/// token in <c>CONDAMIRROR_OCI_TOKEN</c>). Only the environment: nothing here is ever in a project file or a log.
/// </summary>
public sealed class OciSettings
{
    public const string PlainHttpVariable = "CONDAMIRROR_OCI_PLAIN_HTTP_HOSTS";
    public const string UserVariable = "CONDAMIRROR_OCI_USERNAME";
    public const string PasswordVariable = "CONDAMIRROR_OCI_PASSWORD";
    public const string TokenVariable = "CONDAMIRROR_OCI_TOKEN";

    public static OciSettings None { get; } = new([], null);

    private readonly HashSet<string> _plainHttp;

    public OciSettings(IEnumerable<string> plainHttpHosts, AuthenticationHeaderValue? publishCredential)
    {
        _plainHttp = new HashSet<string>(plainHttpHosts.Select(h => h.Trim().ToLowerInvariant()).Where(h => h.Length > 0), StringComparer.Ordinal);
        PublishCredential = publishCredential;
    }

    /// <summary>Basic (user and password) or Bearer (a token); null publishes anonymously.</summary>
    public AuthenticationHeaderValue? PublishCredential { get; }

    /// <summary>Whether <paramref name="registry"/> (host[:port]) is reached over plain http.</summary>
    public bool IsPlainHttp(string registry) => _plainHttp.Contains(registry.ToLowerInvariant());

    /// <summary>The plain-http hosts from the environment, without credentials: what reading a channel needs.</summary>
    public static OciSettings ForReading(Func<string, string?>? environment = null) =>
        new(((environment ?? Environment.GetEnvironmentVariable)(PlainHttpVariable) ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries), null);

    /// <summary>The settings from <paramref name="environment"/> (the process's by default); only one of user and password is CMIR372.</summary>
    public static OciSettings FromEnvironment(Func<string, string?>? environment = null)
    {
        environment ??= Environment.GetEnvironmentVariable;
        var hosts = (environment(PlainHttpVariable) ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var user = environment(UserVariable);
        var password = environment(PasswordVariable);
        var token = environment(TokenVariable);
        AuthenticationHeaderValue? credential = null;
        if (!string.IsNullOrEmpty(token))
            credential = new AuthenticationHeaderValue("Bearer", token.Trim());
        else if (string.IsNullOrEmpty(user) != string.IsNullOrEmpty(password))
            throw new CondaMirrorException(ErrorCodes.OciPublishCredentialsIncomplete,
                $"Only one of {UserVariable} and {PasswordVariable} is set in the build's environment; pushing to a registry with basic credentials needs both (or a registry token in {TokenVariable}).");
        else if (!string.IsNullOrEmpty(user))
            credential = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes(user + ":" + password)));
        return new OciSettings(hosts, credential);
    }
}
