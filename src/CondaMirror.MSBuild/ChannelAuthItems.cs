using CondaMirror.Core.Networking;
using Microsoft.Build.Framework;

namespace CondaMirror.MSBuild;

/// <summary>
/// CondaChannel items as Core's <see cref="ChannelAuthSettings"/>: metadata <c>BearerToken</c>, or
/// <c>BearerTokenEnvironmentVariable</c> naming a variable that holds it, or <c>UserEnvironmentVariable</c> +
/// <c>PasswordEnvironmentVariable</c> for HTTP Basic. Only names pass through here; Core reads the secrets
/// (<see cref="CredentialSet.FromChannels"/>), so neither -v:diag nor a binlog can show a value from the environment.
/// </summary>
internal static class ChannelAuthItems
{
    public static IEnumerable<ChannelAuthSettings> From(IEnumerable<ITaskItem> channels) =>
        channels.Select(item => new ChannelAuthSettings(item.ItemSpec)
        {
            BearerToken = NullIfEmpty(item.GetMetadata("BearerToken")),
            BearerTokenEnvironmentVariable = NullIfEmpty(item.GetMetadata("BearerTokenEnvironmentVariable")),
            UserEnvironmentVariable = NullIfEmpty(item.GetMetadata("UserEnvironmentVariable")),
            PasswordEnvironmentVariable = NullIfEmpty(item.GetMetadata("PasswordEnvironmentVariable")),
        });

    private static string? NullIfEmpty(string value) => string.IsNullOrEmpty(value) ? null : value;
}
