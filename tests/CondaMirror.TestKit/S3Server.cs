using System.Diagnostics;
using System.Security.Cryptography;

namespace CondaMirror.TestKit;

/// <summary>
/// A real S3-compatible server on loopback for a test: <c>tests/npm/s3-server.cjs</c> (s3rver, the S3 XML API over a
/// folder, behind a front that checks AWS Signature V4 against a random secret made per server), started as a child
/// process and killed on dispose. Its request log is what tests read the upload order from.
/// Needs node and <c>npm ci --prefix tests/npm</c>; without them the calling test skips (fails under CI).
/// </summary>
public sealed class S3Server : IDisposable
{
    private readonly Process _process;
    private readonly List<string> _log = new();
    private readonly HashSet<string> _synced = new();
    private readonly TempDirectory _data = new("condamirror-s3");

    public S3Server(string bucket = "channels")
    {
        NodeTools.Require("s3rver");
        Bucket = bucket;
        AccessKeyId = "AKIA" + Convert.ToHexString(RandomNumberGenerator.GetBytes(8));
        SecretAccessKey = Convert.ToBase64String(RandomNumberGenerator.GetBytes(30)).Replace('+', 'x').Replace('/', 'y');
        var psi = new ProcessStartInfo("node")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            WorkingDirectory = NodeTools.Folder,
        };
        // s3rver 3.7 makes ListObjectsV2 continuation tokens with DES, which OpenSSL 3 (Node ≥ 17) only has in its legacy
        // provider: without it every listing past the first 1000 keys is an HTTP 500.
        psi.ArgumentList.Add("--openssl-legacy-provider");
        psi.ArgumentList.Add(Path.Combine(NodeTools.Folder, "s3-server.cjs"));
        psi.ArgumentList.Add(_data.Path);
        psi.ArgumentList.Add(bucket);
        psi.Environment["S3_ACCESS_KEY_ID"] = AccessKeyId;
        psi.Environment["S3_SECRET_ACCESS_KEY"] = SecretAccessKey;
        _process = Process.Start(psi)!;
        var port = new TaskCompletionSource<int>(TaskCreationOptions.RunContinuationsAsynchronously);
        _process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is null) return;
            if (e.Data.StartsWith("listening ", StringComparison.Ordinal)) port.TrySetResult(int.Parse(e.Data["listening ".Length..]));
            else if (e.Data.StartsWith("sync ", StringComparison.Ordinal)) lock (_log) { _synced.Add(e.Data["sync ".Length..]); Monitor.PulseAll(_log); }
            else lock (_log) _log.Add(e.Data);
        };
        var errors = new List<string>();
        _process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (errors) errors.Add(e.Data); };
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
        if (!port.Task.Wait(TimeSpan.FromSeconds(30)))
        {
            Dispose();
            throw new InvalidOperationException("s3-server.cjs did not start in 30 s: " + string.Join("\n", errors));
        }
        Port = port.Task.Result;
    }

    public string Bucket { get; }
    public int Port { get; }
    public string AccessKeyId { get; }
    public string SecretAccessKey { get; }

    /// <summary>The endpoint a client is configured with (path-style).</summary>
    public Uri Endpoint => new($"http://127.0.0.1:{Port}");

    /// <summary>The bucket over plain (anonymous) HTTP, e.g. for conda: http://127.0.0.1:PORT/bucket/prefix.</summary>
    public string HttpUrl(string prefix) => $"http://127.0.0.1:{Port}/{Bucket}" + (prefix.Length == 0 ? "" : "/" + prefix);

    /// <summary>Environment variables that give the AWS SDK this server's credentials.</summary>
    public IReadOnlyDictionary<string, string> CredentialEnvironment => new Dictionary<string, string>
    {
        ["AWS_ACCESS_KEY_ID"] = AccessKeyId,
        ["AWS_SECRET_ACCESS_KEY"] = SecretAccessKey,
        ["AWS_REGION"] = "us-east-1",
        // No shared config of the machine's user may leak into a test.
        ["AWS_CONFIG_FILE"] = "/nonexistent/aws-config",
        ["AWS_SHARED_CREDENTIALS_FILE"] = "/nonexistent/aws-credentials",
        ["AWS_EC2_METADATA_DISABLED"] = "true",
    };

    /// <summary>Every log line so far: "&lt;METHOD&gt; &lt;status&gt; &lt;signed|anonymous&gt; &lt;key&gt;", "stored &lt;key&gt;", "deleted &lt;key&gt;".</summary>
    public IReadOnlyList<string> Log
    {
        get
        {
            // Lines are printed when a response ends, which can trail the client: wait for a sync marker printed after them.
            var nonce = Convert.ToHexString(RandomNumberGenerator.GetBytes(16)).ToLowerInvariant();
            using (var http = new HttpClient(new SocketsHttpHandler { UseProxy = false }) { Timeout = TimeSpan.FromSeconds(30) })
                http.GetAsync(Endpoint + "__sync/" + nonce).GetAwaiter().GetResult().EnsureSuccessStatusCode();
            var deadline = DateTime.UtcNow.AddSeconds(30);
            lock (_log)
            {
                while (!_synced.Contains(nonce))
                {
                    var left = deadline - DateTime.UtcNow;
                    if (left <= TimeSpan.Zero) throw new TimeoutException("the S3 server's log never printed its sync marker");
                    Monitor.Wait(_log, left);
                }
                return _log.ToList();
            }
        }
    }

    /// <summary>The log once <paramref name="done"/> holds for it (lines are printed when a response has been sent, so they can trail the client).</summary>
    public IReadOnlyList<string> LogWhen(Func<IReadOnlyList<string>, bool> done, int timeoutSeconds = 10)
    {
        var deadline = DateTime.UtcNow.AddSeconds(timeoutSeconds);
        while (true)
        {
            List<string> snapshot;
            lock (_log) snapshot = _log.ToList();
            if (done(snapshot)) return snapshot;
            if (DateTime.UtcNow > deadline) throw new TimeoutException("the S3 server's log never got there:\n" + string.Join("\n", snapshot));
            Thread.Sleep(50);
        }
    }

    /// <summary>Keys stored (PUT succeeded) since log line <paramref name="from"/>, in order.</summary>
    public List<string> StoredSince(int from) => Log.Skip(from).Where(l => l.StartsWith("stored ", StringComparison.Ordinal)).Select(l => l["stored ".Length..]).ToList();

    public List<string> DeletedSince(int from) => Log.Skip(from).Where(l => l.StartsWith("deleted ", StringComparison.Ordinal)).Select(l => l["deleted ".Length..]).ToList();

    /// <summary>An object's bytes read over anonymous HTTP, as a conda client reads them; null when the server says 404.</summary>
    public async Task<byte[]?> GetAnonymousAsync(string key)
    {
        using var http = new HttpClient(new SocketsHttpHandler { UseProxy = false });
        using var response = await http.GetAsync(Endpoint + Bucket + "/" + string.Join('/', key.Split('/').Select(Uri.EscapeDataString)));
        if (response.StatusCode == System.Net.HttpStatusCode.NotFound) return null;
        response.EnsureSuccessStatusCode();
        return await response.Content.ReadAsByteArrayAsync();
    }

    /// <summary>The keys the server holds, from its data folder (s3rver stores each object as "&lt;key&gt;._S3rver_object" beside its metadata files).</summary>
    public List<string> StoredKeys()
    {
        var root = Path.Combine(_data.Path, Bucket);
        if (!Directory.Exists(root)) return new List<string>();
        return Directory.EnumerateFiles(root, "*", SearchOption.AllDirectories)
            .Select(f => Path.GetRelativePath(root, f).Replace('\\', '/'))
            .Where(k => k.EndsWith("._S3rver_object", StringComparison.Ordinal))
            .Select(k => k[..^"._S3rver_object".Length])
            .OrderBy(k => k, StringComparer.Ordinal).ToList();
    }

    public void Dispose()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.StandardInput.Close();
                if (!_process.WaitForExit(3000)) _process.Kill(entireProcessTree: true);
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
