using CondaMirror.Core.Channels;
using CondaMirror.Core.Errors;
using CondaMirror.Core.Http;
using Microsoft.Build.Framework;

namespace CondaMirror.MSBuild;

/// <summary>
/// Turns CondaChannel items into credentials: metadata <c>BearerToken</c>, or <c>BearerTokenEnvironmentVariable</c>
/// naming a variable that holds it, or <c>UserEnvironmentVariable</c> + <c>PasswordEnvironmentVariable</c> for HTTP
/// Basic (keeps secrets out of project files and build logs). Credentials in the URL itself
/// (user:pass@, /t/&lt;token&gt;/) are handled by Core's HTTP layer.
/// </summary>
internal static class ChannelCredentials
{
    /// <summary>CondaChannelAlias, or conda's default when the property is empty.</summary>
    public static string AliasOrDefault(string? alias) => string.IsNullOrWhiteSpace(alias) ? ChannelResolver.DefaultChannelAlias : alias;

    public static IReadOnlyList<ChannelCredential> FromItems(IEnumerable<ITaskItem> channels, string? channelAlias, string? baseDirectory = null)
    {
        var result = new List<ChannelCredential>();
        foreach (var item in channels)
        {
            var token = item.GetMetadata("BearerToken");
            if (string.IsNullOrEmpty(token)) token = FromEnvironment(item, "BearerTokenEnvironmentVariable", "token");
            // Basic auth from environment variables: the values never pass through MSBuild, so neither -v:diag nor a
            // binlog (which record items, metadata and task parameters) can show them.
            var user = FromEnvironment(item, "UserEnvironmentVariable", "user name");
            var password = FromEnvironment(item, "PasswordEnvironmentVariable", "password");
            if ((user is null) != (password is null))
                throw new CondaMirrorException(ErrorCodes.InvalidBuildSetting,
                    $"CondaChannel '{item.ItemSpec}' sets only one of UserEnvironmentVariable and PasswordEnvironmentVariable; basic authentication needs both.");
            if (string.IsNullOrEmpty(token) && user is null) continue;
            var channel = ChannelResolver.Resolve(item.ItemSpec, AliasOrDefault(channelAlias), baseDirectory);
            result.Add(string.IsNullOrEmpty(token)
                ? new ChannelCredential(channel.PublicBaseUrl.AbsoluteUri, null, user, password)
                : new ChannelCredential(channel.PublicBaseUrl.AbsoluteUri, token, null, null));
        }
        return result;
    }

    /// <summary>The value of the environment variable the item's <paramref name="metadata"/> names; null when it names none.</summary>
    private static string? FromEnvironment(ITaskItem item, string metadata, string what)
    {
        var variable = item.GetMetadata(metadata);
        if (string.IsNullOrEmpty(variable)) return null;
        var value = Environment.GetEnvironmentVariable(variable);
        if (string.IsNullOrEmpty(value))
            throw new CondaMirrorException(ErrorCodes.InvalidBuildSetting,
                $"CondaChannel '{item.ItemSpec}' takes its {what} from environment variable {variable}, which is not set. Set it, or remove {metadata}.");
        return value;
    }
}
