using CondaMirror.Core.Errors;
using CondaMirror.Core.IO;
using CondaMirror.Core.Networking;

namespace CondaMirror.Core.Channels;

/// <summary>How the output folder holds the packages of several source channels (the CondaChannelLayout property).</summary>
public enum ChannelLayoutKind
{
    /// <summary>One channel at the output folder's root: every source channel's packages side by side.</summary>
    Merged,

    /// <summary>One channel per source channel, at <c>&lt;root&gt;/&lt;channel name&gt;/</c>, so the root can be served as a channel_alias.</summary>
    PerChannel,
}

/// <summary>
/// Where each package's channel lives below the output folder. Merged: the root. Per channel: the folder named
/// the way conda names the source channel — a URL under the channel alias by the path after the alias
/// (<c>https://conda.anaconda.org/conda-forge</c> → <c>conda-forge</c>), another http(s) URL by the path after its host
/// (<c>https://repo.anaconda.com/pkgs/main</c> → <c>pkgs/main</c>, <c>http://127.0.0.1:8080/a/b</c> → <c>a/b</c>), a
/// local folder (file URL) by its own name; packages without a source channel (CondaPackageFile items) go to
/// <see cref="LocalName"/>. Names come from lock files, so every segment must be a plain folder name (percent-decoded,
/// no <c>..</c>, no leading dot) and the folder must stay inside the root: CMIR341 otherwise.
/// </summary>
public sealed class ChannelLayout
{
    // Not "local": conda reserves that name for conda-build's output folder and never looks under the alias for it.
    public const string DefaultLocalName = "local-packages";

    private readonly string _alias;

    private ChannelLayout(ChannelLayoutKind kind, string alias, string localName)
    {
        Kind = kind;
        _alias = alias;
        LocalName = localName;
    }

    public ChannelLayoutKind Kind { get; }

    /// <summary>The channel folder (relative, '/'-separated) of packages that have no source channel.</summary>
    public string LocalName { get; }

    public static readonly ChannelLayout Merged = new(ChannelLayoutKind.Merged, ChannelResolver.DefaultChannelAlias, DefaultLocalName);

    /// <summary>
    /// The layout the properties ask for: <paramref name="layout"/> is CondaChannelLayout (empty or <c>merged</c>, or
    /// <c>per-channel</c>; CMIR815 otherwise), <paramref name="channelAlias"/> CondaChannelAlias (conda's default when
    /// empty), <paramref name="localName"/> CondaLocalChannelName (<c>local</c> when empty; CMIR341 when not a safe name).
    /// </summary>
    public static ChannelLayout Create(string? layout, string? channelAlias = null, string? localName = null)
    {
        var text = (layout ?? "").Trim();
        ChannelLayoutKind kind;
        if (text.Length == 0 || text.Equals("merged", StringComparison.OrdinalIgnoreCase)) kind = ChannelLayoutKind.Merged;
        else if (text.Equals("per-channel", StringComparison.OrdinalIgnoreCase)) kind = ChannelLayoutKind.PerChannel;
        else
            throw new CondaMirrorException(ErrorCodes.ChannelLayoutInvalid,
                $"CondaChannelLayout '{text}' is not a layout. Use 'merged' (the default: one channel with every source channel's packages) or 'per-channel' (one channel folder per source channel, named as conda names it).");
        var alias = ChannelResolver.AliasOrDefault(channelAlias).Trim();
        if (!alias.EndsWith('/')) alias += "/";
        var local = string.IsNullOrWhiteSpace(localName) ? DefaultLocalName : localName.Trim().Trim('/');
        CheckName(local, $"CondaLocalChannelName '{localName}'", null);
        return new ChannelLayout(kind, UrlRedaction.StripCredentials(alias), local);
    }

    /// <summary>
    /// The channel folder of a package from <paramref name="channelUrl"/> (null: no source channel), relative to the
    /// root and '/'-separated; "" in the merged layout. <paramref name="file"/> is where the URL was read (the lock), for the error.
    /// </summary>
    public string FolderOf(string? channelUrl, string? file = null)
    {
        if (Kind == ChannelLayoutKind.Merged) return "";
        if (string.IsNullOrWhiteSpace(channelUrl)) return LocalName;
        var name = NameOf(channelUrl, _alias);
        CheckName(name, $"channel '{UrlRedaction.Redact(channelUrl)}' (folder '{name}')", file);
        return name;
    }

    /// <summary>The absolute folder of a channel below <paramref name="root"/> (the root itself for "").</summary>
    public static string PathOf(string root, string folder) =>
        folder.Length == 0 ? Path.GetFullPath(root) : SafePath.Combine(root, folder.Split('/'));

    /// <summary>
    /// The channel name conda gives <paramref name="channelUrl"/>: the path after <paramref name="alias"/> when the URL
    /// lies under it, else (http, https) the path after the host, else (file) the folder's own name. Segments are
    /// percent-decoded, so an encoded <c>..</c> shows as one; nothing is resolved or dropped.
    /// </summary>
    public static string NameOf(string channelUrl, string alias)
    {
        var url = UrlRedaction.StripCredentials(channelUrl.Trim());
        var cut = url.IndexOfAny(['?', '#']);
        if (cut >= 0) url = url[..cut];
        url = url.TrimEnd('/');
        string path;
        if (url.StartsWith(alias, StringComparison.OrdinalIgnoreCase) && url.Length > alias.Length)
            path = url[alias.Length..];
        else
        {
            var scheme = url.IndexOf("://", StringComparison.Ordinal);
            if (scheme < 0) return Decode(url);
            var afterScheme = url[(scheme + 3)..];
            var slash = afterScheme.IndexOf('/');
            path = slash < 0 ? "" : afterScheme[(slash + 1)..];
            // A local folder: its own name, not the machine's path to it.
            if (url[..scheme].Equals("file", StringComparison.OrdinalIgnoreCase)) path = path[(path.LastIndexOf('/') + 1)..];
        }
        return Decode(path);
    }

    private static string Decode(string path) => string.Join('/', path.Split('/').Select(Uri.UnescapeDataString));

    private static void CheckName(string name, string what, string? file)
    {
        var segments = name.Split('/');
        var bad = name.Length == 0 ? "it is empty (a channel at the root of its host has no name)"
            : segments.FirstOrDefault(s => !SafePath.IsPlainSegment(s) || s.StartsWith('.')) is { } segment ? $"'{segment}' is not a plain folder name"
            : null;
        if (bad is not null)
            throw new CondaMirrorException(ErrorCodes.ChannelFolderUnsafe,
                $"The per-channel layout cannot make a folder for {what}: {bad}. Channel folders are the channel's name split at '/', each part a plain folder name (no '..', no leading '.', no ':' or '\\'). " +
                "Use CondaChannelLayout=merged, or a channel URL with a path (e.g. https://host/conda-forge).", file);
    }

    /// <summary>
    /// Checks the folders of one build's channels (<paramref name="folders"/>: source channel URL, null for local
    /// package files, and its folder): two sources in one folder is CMIR343 (their packages and indexes would mix),
    /// a folder inside another (<c>pkgs</c> and <c>pkgs/main</c>) CMIR342 (each channel prunes its whole folder).
    /// </summary>
    public static void CheckFolders(IEnumerable<(string? Channel, string Folder)> folders)
    {
        var byFolder = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase);
        foreach (var (channel, folder) in folders)
        {
            if (folder.Length == 0) continue;
            var source = channel is null ? null : UrlRedaction.Redact(channel.TrimEnd('/'));
            if (byFolder.TryGetValue(folder, out var first))
            {
                if (!string.Equals(first, source, StringComparison.Ordinal))
                    throw new CondaMirrorException(ErrorCodes.ChannelFolderShared,
                        $"The per-channel layout would put {Describe(first)} and {Describe(source)} into one channel folder '{folder}'. Use CondaChannelLayout=merged, rename one of them (CondaLocalChannelName for local package files), or take the packages from one of the two channels.");
                continue;
            }
            byFolder[folder] = source;
        }
        var sorted = byFolder.Keys.Order(StringComparer.OrdinalIgnoreCase).ToList();
        for (var i = 0; i + 1 < sorted.Count; i++)
            foreach (var other in sorted.Skip(i + 1))
                if (other.StartsWith(sorted[i] + "/", StringComparison.OrdinalIgnoreCase))
                    throw new CondaMirrorException(ErrorCodes.ChannelFoldersNested,
                        $"The per-channel layout would put channel folder '{other}' inside channel folder '{sorted[i]}'; each channel's folder is pruned as a whole, so one would remove the other's packages. Use CondaChannelLayout=merged, or channels whose names do not nest.");
    }

    private static string Describe(string? source) => source is null ? "the local package files (CondaPackageFile)" : $"channel {source}";
}
