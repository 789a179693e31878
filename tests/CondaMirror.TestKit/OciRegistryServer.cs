using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text.RegularExpressions;

namespace CondaMirror.TestKit;

/// <summary>
/// A real OCI registry on loopback for a test: Debian's docker-registry (the CNCF distribution registry 2.8) started
/// as a child process with a temporary config — filesystem storage in a temp folder, http on 127.0.0.1:&lt;free port&gt;,
/// optionally htpasswd basic auth with a random password — and killed on dispose. Its access log is what tests count
/// requests from. Without docker-registry (or htpasswd for auth) the calling test skips (fails under CI).
/// </summary>
public sealed partial class OciRegistryServer : IDisposable
{
    private readonly Process _process;
    private readonly List<string> _requests = new();
    private readonly List<string> _output = new();
    private readonly TempDirectory _data = new("condamirror-oci");

    public OciRegistryServer(bool basicAuth = false)
    {
        var registry = Requirement.Tool("docker-registry", "docker-registry");
        Port = FreePort();
        var auth = "";
        if (basicAuth)
        {
            var htpasswd = Requirement.Tool("htpasswd", "apache2-utils");
            User = "publisher";
            Password = Convert.ToHexString(RandomNumberGenerator.GetBytes(12));
            var entry = CliTool.Run(htpasswd, _data.Path, "-Bbn", User, Password);
            File.WriteAllText(_data.Combine("htpasswd"), entry.Trim() + "\n");
            auth = $"auth:\n  htpasswd:\n    realm: condamirror-test\n    path: {_data.Combine("htpasswd")}\n";
        }
        Directory.CreateDirectory(_data.Combine("storage"));
        File.WriteAllText(_data.Combine("config.yml"), $"""
            version: 0.1
            log:
              level: info
              formatter: text
              accesslog:
                disabled: false
            storage:
              filesystem:
                rootdirectory: {_data.Combine("storage")}
            http:
              addr: 127.0.0.1:{Port}
            {auth}
            """);
        var psi = new ProcessStartInfo(registry) { RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true };
        psi.ArgumentList.Add("serve");
        psi.ArgumentList.Add(_data.Combine("config.yml"));
        _process = Process.Start(psi)!;
        void OnLine(object _, DataReceivedEventArgs e)
        {
            if (e.Data is null) return;
            lock (_requests)
            {
                _output.Add(e.Data);
                // The access log (combined format): 127.0.0.1 - - [date] "PUT /v2/... HTTP/1.1" 201 0 "" "agent"
                var m = AccessLine().Match(e.Data);
                if (m.Success) _requests.Add($"{m.Groups[1].Value} {m.Groups[3].Value} {m.Groups[2].Value}");
            }
        }
        _process.OutputDataReceived += OnLine;
        _process.ErrorDataReceived += OnLine;
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
        WaitUntilListening();
    }

    public int Port { get; }

    /// <summary>host:port, as in oci://127.0.0.1:PORT/… and CONDAMIRROR_OCI_PLAIN_HTTP_HOSTS.</summary>
    public string Host => $"127.0.0.1:{Port}";

    /// <summary>The basic-auth user and password (null without auth).</summary>
    public string? User { get; }
    public string? Password { get; }

    /// <summary>Requests answered so far, "METHOD status /path?query", in the order the registry logged them.</summary>
    public IReadOnlyList<string> Requests
    {
        get
        {
            // Lines are written when a response ends; give the pipe a moment to deliver the last ones.
            Thread.Sleep(300);
            lock (_requests) return _requests.ToList();
        }
    }

    /// <summary>Everything the registry printed, for failure messages.</summary>
    public string Output { get { lock (_requests) return string.Join("\n", _output); } }

    [GeneratedRegex("\"([A-Z]+) (/v2/\\S*) HTTP/[0-9.]+\" ([0-9]{3}) ")]
    private static partial Regex AccessLine();

    private static int FreePort()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }

    private void WaitUntilListening()
    {
        using var http = new HttpClient(new SocketsHttpHandler { UseProxy = false }) { Timeout = TimeSpan.FromSeconds(2) };
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (DateTime.UtcNow < deadline)
        {
            if (_process.HasExited) break;
            try
            {
                using var response = http.GetAsync($"http://{Host}/v2/").GetAwaiter().GetResult();
                if (response.StatusCode is HttpStatusCode.OK or HttpStatusCode.Unauthorized) return;
            }
            catch (HttpRequestException)
            {
                // not listening yet
            }
            catch (TaskCanceledException)
            {
                // not answering yet
            }
            Thread.Sleep(100);
        }
        var output = Output;
        Dispose();
        throw new InvalidOperationException("docker-registry did not start in 30 s:\n" + output);
    }

    public void Dispose()
    {
        try
        {
            if (!_process.HasExited) _process.Kill(entireProcessTree: true);
            _process.WaitForExit(10_000);
        }
        catch (InvalidOperationException)
        {
            // already gone
        }
        _process.Dispose();
        _data.Dispose();
    }
}
