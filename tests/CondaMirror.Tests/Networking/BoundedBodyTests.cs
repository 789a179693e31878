using System.Diagnostics;
using CondaMirror.Core.Networking;
using CondaMirror.TestKit;
using Xunit;

namespace CondaMirror.Tests.Networking;

/// <summary>The body bounds any fetcher gets from Networking, with gzip data made by the gzip tool.</summary>
public sealed class BoundedBodyTests
{
    private sealed class TooLarge(long bytes, bool decoded) : Exception($"{bytes} bytes, decoded={decoded}")
    {
        public long Bytes { get; } = bytes;
        public bool Decoded { get; } = decoded;
    }

    private sealed class Unsupported(IReadOnlyList<string> encodings) : Exception(string.Join(",", encodings))
    {
        public IReadOnlyList<string> Encodings { get; } = encodings;
    }

    private static HttpResponseMessage Response(byte[] body, string? encoding = null, bool declareLength = true)
    {
        // Over a non-seekable stream HttpContent cannot work out a length the server did not declare.
        var content = new StreamContent(new ForwardOnly(new MemoryStream(body)));
        if (declareLength) content.Headers.ContentLength = body.Length;
        if (encoding is not null) content.Headers.ContentEncoding.Add(encoding);
        return new HttpResponseMessage(System.Net.HttpStatusCode.OK) { Content = content };
    }

    private sealed class ForwardOnly(Stream inner) : Stream
    {
        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override int Read(byte[] buffer, int offset, int count) => inner.Read(buffer, offset, count);
        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }

    private static Task<BoundedBody> Open(HttpResponseMessage response, long max) =>
        BoundedBody.OpenAsync(response, max, (n, decoded) => new TooLarge(n, decoded), e => new Unsupported(e), CancellationToken.None);

    private static async Task<byte[]> ReadAll(BoundedBody body)
    {
        using var copy = new MemoryStream();
        await body.Content.CopyToAsync(copy);
        return copy.ToArray();
    }

    /// <summary>Compresses with the gzip command-line tool, so the decoder is checked against an independent encoder.</summary>
    private static byte[] Gzip(byte[] data)
    {
        var psi = new ProcessStartInfo(Requirement.Tool("gzip", "gzip"), "-c -9") { RedirectStandardInput = true, RedirectStandardOutput = true, UseShellExecute = false };
        using (var process = Process.Start(psi)!)
        {
            var output = new MemoryStream();
            var reader = process.StandardOutput.BaseStream.CopyToAsync(output);
            process.StandardInput.BaseStream.Write(data);
            process.StandardInput.Close();
            reader.GetAwaiter().GetResult();
            process.WaitForExit();
            Assert.Equal(0, process.ExitCode);
            return output.ToArray();
        }
    }

    [SkippableFact]
    public async Task A_gzip_body_is_decoded_and_both_sides_are_counted()
    {
        var text = System.Text.Encoding.UTF8.GetBytes(string.Concat(Enumerable.Repeat("{\"packages\": {}}\n", 2000)));
        var gz = Gzip(text);
        using var response = Response(gz, "gzip");
        await using var body = await Open(response, max: text.Length);

        Assert.Equal(text, await ReadAll(body));
        Assert.Equal(gz.Length, body.WireBytes);
        Assert.Equal(new[] { "gzip" }, body.Encodings);
    }

    [SkippableFact]
    public async Task A_gzip_bomb_stops_one_buffer_past_the_limit_as_decoded_bytes()
    {
        var gz = Gzip(new byte[64 << 20]);
        Assert.True(gz.Length < 1 << 20);
        using var response = Response(gz, "gzip");
        await using var body = await Open(response, max: 1 << 20);

        var e = await Assert.ThrowsAsync<TooLarge>(() => ReadAll(body));
        Assert.True(e.Decoded);
        Assert.InRange(e.Bytes, (1 << 20) + 1, (2 << 20));
    }

    [SkippableFact]
    public async Task A_declared_length_past_the_limit_fails_before_reading_and_an_undeclared_one_when_it_passes()
    {
        var data = new byte[5000];
        using var declared = Response(data);
        var early = await Assert.ThrowsAsync<TooLarge>(() => Open(declared, max: 4096));
        Assert.Equal((5000L, false), (early.Bytes, early.Decoded));

        using var undeclared = Response(data, declareLength: false);
        await using var body = await Open(undeclared, max: 4096);
        var late = await Assert.ThrowsAsync<TooLarge>(() => ReadAll(body));
        Assert.False(late.Decoded);
        Assert.InRange(late.Bytes, 4097, 5000);
    }

    [SkippableFact]
    public async Task An_encoding_nobody_can_undo_is_the_callers_error()
    {
        using var response = Response([1, 2, 3], "compress");
        var e = await Assert.ThrowsAsync<Unsupported>(() => Open(response, max: 100));
        Assert.Equal(new[] { "compress" }, e.Encodings);
    }

    [SkippableFact]
    public async Task A_plain_body_within_the_limit_passes_unchanged()
    {
        var data = Enumerable.Range(0, 3000).Select(i => (byte)i).ToArray();
        using var response = Response(data);
        await using var body = await Open(response, max: data.Length);
        Assert.Equal(data, await ReadAll(body));
        Assert.Equal(data.Length, body.WireBytes);
        Assert.Empty(body.Encodings);
    }
}
