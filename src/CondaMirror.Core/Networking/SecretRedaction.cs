namespace CondaMirror.Core.Networking;

/// <summary>
/// What of a project's items may be recorded on disk (obj/): a value in metadata that holds a secret itself
/// (<c>BearerToken</c>, a password) is reduced to "given / not given", and URLs lose their credentials
/// (<see cref="UrlRedaction"/>). Names of environment variables stay: they are not secrets, and changing one must count
/// as a change. Not even a hash of a secret is written: a short token could be found from it.
/// </summary>
public static class SecretRedaction
{
    public const string Given = "<secret given>";

    /// <summary>Metadata whose value is a secret (not a variable name).</summary>
    public static bool HoldsSecret(string? metadataName) =>
        metadataName is not null
        && !metadataName.EndsWith("EnvironmentVariable", StringComparison.OrdinalIgnoreCase)
        && (metadataName.Contains("token", StringComparison.OrdinalIgnoreCase)
            || metadataName.Contains("password", StringComparison.OrdinalIgnoreCase)
            || metadataName.Contains("secret", StringComparison.OrdinalIgnoreCase)
            || metadataName.Equals("SasToken", StringComparison.OrdinalIgnoreCase));

    /// <summary>The value as it may be recorded: <see cref="Given"/> for a secret, a URL without credentials, other text unchanged.</summary>
    public static string ForRecord(string? metadataName, string? value)
    {
        if (string.IsNullOrEmpty(value)) return "";
        return HoldsSecret(metadataName) ? Given : UrlRedaction.Redact(value);
    }
}
