using System.Diagnostics;
using System.Security.Cryptography;
using Azure.Storage;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using Azure.Storage.Sas;

namespace CondaMirror.TestKit;

/// <summary>
/// Azurite's blob service (Microsoft's Azure Storage emulator, from tests/npm) on a loopback port the OS picks, with an
/// account and key made per server (AZURITE_ACCOUNTS), its data in a temporary folder, killed on dispose.
/// Containers are created here, with anonymous read of blobs so a conda client reads them over plain HTTP.
/// Needs node and <c>npm ci --prefix tests/npm</c>; without them the calling test skips (fails under CI).
/// </summary>
public sealed class AzuriteServer : IDisposable
{
    private readonly Process _process;
    private readonly TempDirectory _data = new("condamirror-azurite");

    public AzuriteServer()
    {
        NodeTools.Require("azurite");
        Account = "acct" + Convert.ToHexString(RandomNumberGenerator.GetBytes(6)).ToLowerInvariant();
        Key = Convert.ToBase64String(RandomNumberGenerator.GetBytes(64));
        var psi = new ProcessStartInfo("node")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            WorkingDirectory = _data.Path,
        };
        psi.ArgumentList.Add(Path.Combine(NodeTools.Folder, "node_modules", "azurite", "dist", "src", "blob", "main.js"));
        foreach (var a in new[] { "--blobHost", "127.0.0.1", "--blobPort", "0", "--location", _data.Path, "--silent", "--skipApiVersionCheck", "--loose", "--disableTelemetry" })
            psi.ArgumentList.Add(a);
        psi.Environment["AZURITE_ACCOUNTS"] = $"{Account}:{Key}";
        _process = Process.Start(psi)!;
        var port = new TaskCompletionSource<int>(TaskCreationOptions.RunContinuationsAsynchronously);
        var output = new List<string>();
        const string marker = "successfully listens on http://127.0.0.1:";
        _process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is null) return;
            lock (output) output.Add(e.Data);
            var at = e.Data.IndexOf(marker, StringComparison.Ordinal);
            if (at >= 0) port.TrySetResult(int.Parse(e.Data[(at + marker.Length)..].Trim()));
        };
        _process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (output) output.Add(e.Data); };
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
        if (!port.Task.Wait(TimeSpan.FromSeconds(60)))
        {
            Dispose();
            throw new InvalidOperationException("Azurite did not start in 60 s: " + string.Join("\n", output));
        }
        Port = port.Task.Result;
    }

    public string Account { get; }

    /// <summary>The account's shared key (base64), what AZURE_STORAGE_KEY holds.</summary>
    public string Key { get; }

    public int Port { get; }

    /// <summary>The account's blob service as an Endpoint: http://127.0.0.1:PORT/account (Azurite addresses accounts by path).</summary>
    public Uri ServiceUri => new($"http://127.0.0.1:{Port}/{Account}");

    /// <summary>A container (and prefix) over plain HTTP, as conda reads it.</summary>
    public string HttpUrl(string container, string prefix) => $"{ServiceUri}/{container}" + (prefix.Length == 0 ? "" : "/" + prefix);

    public BlobContainerClient Container(string name) =>
        new(new Uri($"{ServiceUri}/{name}"), new StorageSharedKeyCredential(Account, Key));

    /// <summary>Creates a container whose blobs anyone may read (not list), as a channel served to conda needs.</summary>
    public BlobContainerClient CreateContainer(string name)
    {
        var container = Container(name);
        container.Create(PublicAccessType.Blob);
        return container;
    }

    /// <summary>A SAS for one container with the permissions publishing needs (read, add, create, write, delete, list), valid for an hour.</summary>
    public string ContainerSas(string name, BlobContainerSasPermissions permissions = BlobContainerSasPermissions.Read | BlobContainerSasPermissions.Add
        | BlobContainerSasPermissions.Create | BlobContainerSasPermissions.Write | BlobContainerSasPermissions.Delete | BlobContainerSasPermissions.List)
    {
        var sas = new BlobSasBuilder(permissions, DateTimeOffset.UtcNow.AddHours(1)) { BlobContainerName = name, Resource = "c" };
        return sas.ToSasQueryParameters(new StorageSharedKeyCredential(Account, Key)).ToString();
    }

    /// <summary>Every blob under a prefix with its ETag (a new one per write), read with the account key.</summary>
    public SortedDictionary<string, string> Blobs(string container, string prefix)
    {
        var result = new SortedDictionary<string, string>(StringComparer.Ordinal);
        foreach (var blob in Container(container).GetBlobs(BlobTraits.None, BlobStates.None, prefix, CancellationToken.None))
            result[blob.Name] = blob.Properties.ETag!.Value.ToString();
        return result;
    }

    /// <summary>A blob's bytes over anonymous HTTP, as a conda client reads them; null when the server says 404.</summary>
    public async Task<byte[]?> GetAnonymousAsync(string container, string key)
    {
        using var http = new HttpClient(new SocketsHttpHandler { UseProxy = false });
        using var response = await http.GetAsync($"{ServiceUri}/{container}/" + string.Join('/', key.Split('/').Select(Uri.EscapeDataString)));
        if (response.StatusCode == System.Net.HttpStatusCode.NotFound) return null;
        response.EnsureSuccessStatusCode();
        return await response.Content.ReadAsByteArrayAsync();
    }

    public void Dispose()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
                _process.WaitForExit(5000);
            }
        }
        catch (InvalidOperationException)
        {
            // Already gone.
        }
        _process.Dispose();
        _data.Dispose();
    }
}
