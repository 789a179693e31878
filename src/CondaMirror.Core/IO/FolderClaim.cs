using System.Security.Cryptography;
using System.Text;
using CondaMirror.Core.Errors;

namespace CondaMirror.Core.IO;

/// <summary>An output folder outside the project (a channel, a PyPI index) belongs to the first project that writes it.</summary>
public static class FolderClaim
{
    /// <summary>The name of the file in the folder that records the owning project.</summary>
    public const string OwnerFileName = ".condamirror-owner";

    /// <summary>
    /// Records this project as the owner of an output folder outside it (the channel, the PyPI index), or fails if
    /// another project owns it: two projects writing one folder would each prune the other's files. The file holds
    /// the project name and a hash of its path, not the path itself, since the folder is published to other machines.
    /// </summary>
    /// <param name="property">The MSBuild property that names the folder, for the error.</param>
    /// <param name="what">What the folder is ("channel", "PyPI index"), for the error.</param>
    /// <returns>The owner record's path.</returns>
    public static string Claim(string directory, string projectFile, string property, string what)
    {
        var owner = $"{Path.GetFileName(projectFile)} {Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(projectFile)))[..16].ToLowerInvariant()}";
        var ownerFile = Path.Combine(directory, OwnerFileName);
        Directory.CreateDirectory(directory);
        for (var attempt = 0; ; attempt++)
        {
            try
            {
                using var stream = new FileStream(ownerFile, FileMode.CreateNew, FileAccess.Write, FileShare.Read);
                stream.Write(Encoding.UTF8.GetBytes(owner + "\n"));
                return ownerFile;
            }
            catch (IOException) when (File.Exists(ownerFile))
            {
                // Another build created it first (or an earlier build of this project did): compare.
            }
            string existing;
            try
            {
                existing = File.ReadAllText(ownerFile).Trim();
            }
            catch (IOException) when (attempt < 20)
            {
                Thread.Sleep(50); // being written by a parallel build right now
                continue;
            }
            if (existing.Length == 0 && attempt < 20) { Thread.Sleep(50); continue; }
            if (existing == owner) return ownerFile;
            throw new CondaMirrorException(ErrorCodes.ChannelOutputShared,
                $"{property} '{directory}' is already the {what} of another project ({existing.Split(' ')[0]} in another folder, recorded in {OwnerFileName}). " +
                $"Projects building into one {what} folder would remove each other's files. Give each project its own {property}, " +
                $"or, if the other project no longer builds there, delete {ownerFile}.");
        }
    }

}
