using CondaMirror.Core.Channels;
using CondaMirror.Core.Networking;
using Microsoft.Build.Framework;

namespace CondaMirror.MSBuild;

/// <summary>CondaChannelMirror items (<c>Include</c> = channel URL or name, <c>Url</c> = mirrors separated by ';') as Core's <see cref="MirrorMap"/>.</summary>
internal static class ChannelMirrorItems
{
    public static MirrorMap From(IEnumerable<ITaskItem> items, string? channelAlias, string? projectDirectory) =>
        MirrorMap.Parse(items.Select(i => (i.ItemSpec, i.GetMetadata("Url"))), ChannelResolver.RootResolver(channelAlias, projectDirectory));
}
