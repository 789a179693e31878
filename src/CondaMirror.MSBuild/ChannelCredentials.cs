using CondaMirror.Core.Channels;
using CondaMirror.Core.Errors;
using CondaMirror.Core.Http;
using Microsoft.Build.Framework;

namespace CondaMirror.MSBuild;

/// <summary>
/// Turns CondaChannel items into credentials: metadata <c>BearerToken</c>, or <c>BearerTokenEnvironmentVariable</c>
/// naming a variable that holds it (keeps tokens out of project files). Credentials in the URL itself
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
            var variable = item.GetMetadata("BearerTokenEnvironmentVariable");
            if (string.IsNullOrEmpty(token) && !string.IsNullOrEmpty(variable))
            {
                token = Environment.GetEnvironmentVariable(variable);
                if (string.IsNullOrEmpty(token))
                    throw new CondaMirrorException(ErrorCodes.InvalidBuildSetting,
                        $"CondaChannel '{item.ItemSpec}' takes its token from environment variable {variable}, which is not set. Set it, or remove BearerTokenEnvironmentVariable.");
            }
            if (string.IsNullOrEmpty(token)) continue;
            var channel = ChannelResolver.Resolve(item.ItemSpec, AliasOrDefault(channelAlias), baseDirectory);
            result.Add(new ChannelCredential(channel.PublicBaseUrl.AbsoluteUri, token, null, null));
        }
        return result;
    }
}
