using System.Runtime.InteropServices;
using CondaMirror.Core.IO;
using ICSharpCode.SharpZipLib;

namespace CondaMirror.Core.Archives;

/// <summary>
/// Decompresses a .tar.bz2 payload: through the system's libbz2 when it loads (several times faster than the
/// managed decoder and its tables live outside the managed heap), otherwise through SharpZipLib
/// (<see cref="MultiStreamBzip2Stream"/>; Windows has no system libbz2). Both read concatenated streams as one and
/// ignore data after the last stream that does not start a new one. Both report damage as
/// <see cref="InvalidDataException"/> and input that ends inside a stream as <see cref="EndOfStreamException"/>.
/// </summary>
internal sealed class Bzip2DecoderStream : ReadOnlyStream
{
    private const int BZ_OK = 0, BZ_STREAM_END = 4;

    private static readonly AsyncLocal<bool> ManagedOnly = new();

    private readonly Stream _compressed;
    private readonly MultiStreamBzip2Stream? _managed;
    private byte[]? _input;
    private int _inputStart, _inputEnd;
    private bool _inputEnded;
    private Bzip2Native.Handle? _native;
    private bool _finished, _disposed;

    public Bzip2DecoderStream(Stream compressed)
    {
        _compressed = compressed;
        if (ManagedOnly.Value || Bzip2Native.Library is null)
        {
            _managed = Managed(() => new MultiStreamBzip2Stream(compressed));
        }
        else
        {
            // Rented: every .tar.bz2 of an index run opens a decoder, and a fresh 64 KB each time is garbage to collect.
            _input = System.Buffers.ArrayPool<byte>.Shared.Rent(1 << 16);
            _native = Bzip2Native.Handle.Create(Bzip2Native.Library);
        }
    }

    /// <summary>Whether new decoders use libbz2 (it loaded and the managed path is not forced).</summary>
    internal static bool UsesNative => !ManagedOnly.Value && Bzip2Native.Library is not null;

    /// <summary>Makes decoders created in this async flow use SharpZipLib until disposed, so tests can run both paths.</summary>
    internal static IDisposable ForceManaged()
    {
        var previous = ManagedOnly.Value;
        ManagedOnly.Value = true;
        return new Restore(() => ManagedOnly.Value = previous);
    }

    private sealed class Restore(Action undo) : IDisposable
    {
        public void Dispose() => undo();
    }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        if (_managed is not null)
        {
            try
            {
                return _managed.Read(buffer);
            }
            catch (SharpZipBaseException e)
            {
                throw Damaged(e);
            }
        }
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (buffer.IsEmpty) return 0;
        while (!_finished)
        {
            var native = _native!;
            if (_inputStart == _inputEnd && !_inputEnded) Refill();
            int available = _inputEnd - _inputStart;
            var (result, consumed, produced) = native.Decompress(_input!.AsSpan(_inputStart, available), buffer);
            _inputStart += consumed;
            if (result == BZ_STREAM_END)
            {
                native.Dispose();
                _native = NextStream() ? Bzip2Native.Handle.Create(Bzip2Native.Library!) : null;
                if (_native is null) _finished = true;
            }
            else if (result != BZ_OK)
            {
                throw new InvalidDataException(Bzip2Native.Describe(result));
            }
            else if (produced == 0 && consumed == 0 && _inputStart == _inputEnd && _inputEnded)
            {
                throw new EndOfStreamException("the bzip2 stream ends before its end marker");
            }
            else if (produced == 0 && consumed == 0 && available > 0)
            {
                throw new InvalidDataException("the bzip2 decoder made no progress on its input");
            }
            if (produced > 0) return produced;
        }
        return 0;
    }

    /// <summary>SharpZipLib reports damage with its own exception type; both decoders report it the same way.</summary>
    private static T Managed<T>(Func<T> decode)
    {
        try
        {
            return decode();
        }
        catch (SharpZipBaseException e)
        {
            throw Damaged(e);
        }
    }

    private static InvalidDataException Damaged(SharpZipBaseException e) => new($"the bzip2 data is corrupt ({e.Message})", e);

    /// <summary>Moves unread input to the front of the buffer and reads more after it.</summary>
    private void Refill()
    {
        var input = _input!;
        int left = _inputEnd - _inputStart;
        if (left > 0 && _inputStart > 0) Buffer.BlockCopy(input, _inputStart, input, 0, left);
        _inputStart = 0;
        _inputEnd = left;
        int n = _compressed.Read(input, _inputEnd, input.Length - _inputEnd);
        if (n == 0) _inputEnded = true;
        _inputEnd += n;
    }

    /// <summary>After a stream's end marker: whether the following input starts another bzip2 stream.</summary>
    private bool NextStream()
    {
        while (_inputEnd - _inputStart < 4 && !_inputEnded) Refill();
        if (_inputEnd - _inputStart < 4) return false;
        var magic = _input!.AsSpan(_inputStart, 4);
        return magic[0] == 'B' && magic[1] == 'Z' && magic[2] == 'h' && magic[3] is >= (byte)'1' and <= (byte)'9';
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _managed?.Dispose();
            _native?.Dispose();
            _native = null;
            if (_input is not null) System.Buffers.ArrayPool<byte>.Shared.Return(_input);
            _input = null;
            _disposed = true;
        }
        base.Dispose(disposing);
    }
}

/// <summary>The system's libbz2, loaded once per process through its exports (no DllImport, so nothing to ship).</summary>
internal static unsafe class Bzip2Native
{
    private static readonly string[] Names = OperatingSystem.IsMacOS()
        ? ["libbz2.1.0.dylib", "libbz2.dylib", "/usr/lib/libbz2.1.0.dylib"]
        : ["libbz2.so.1.0", "libbz2.so.1", "libbz2.so"];

    internal sealed class Functions
    {
        public required delegate* unmanaged<BzStream*, int, int, int> DecompressInit;
        public required delegate* unmanaged<BzStream*, int> Decompress;
        public required delegate* unmanaged<BzStream*, int> DecompressEnd;
    }

    /// <summary>libbz2's functions, or null when the library or one of its exports is missing.</summary>
    internal static Functions? Library { get; } = Load();

    private static Functions? Load()
    {
        foreach (var name in Names)
        {
            if (!NativeLibrary.TryLoad(name, out var library)) continue;
            if (NativeLibrary.TryGetExport(library, "BZ2_bzDecompressInit", out var init)
                && NativeLibrary.TryGetExport(library, "BZ2_bzDecompress", out var decompress)
                && NativeLibrary.TryGetExport(library, "BZ2_bzDecompressEnd", out var end))
            {
                return new Functions
                {
                    DecompressInit = (delegate* unmanaged<BzStream*, int, int, int>)init,
                    Decompress = (delegate* unmanaged<BzStream*, int>)decompress,
                    DecompressEnd = (delegate* unmanaged<BzStream*, int>)end,
                };
            }
        }
        return null;
    }

    /// <summary>bz_stream from bzlib.h; sequential layout pads it exactly like the C compiler on 32- and 64-bit.</summary>
    [StructLayout(LayoutKind.Sequential)]
    internal struct BzStream
    {
        public byte* NextIn;
        public uint AvailIn;
        public uint TotalInLo32;
        public uint TotalInHi32;
        public byte* NextOut;
        public uint AvailOut;
        public uint TotalOutLo32;
        public uint TotalOutHi32;
        public void* State;
        public void* BzAlloc;
        public void* BzFree;
        public void* Opaque;
    }

    internal static string Describe(int result) => result switch
    {
        -4 => "the bzip2 data is corrupt (BZ_DATA_ERROR)",
        -5 => "the data is not a bzip2 stream (BZ_DATA_ERROR_MAGIC)",
        -3 => throw new InsufficientMemoryException("libbz2 could not allocate its decoding tables (BZ_MEM_ERROR)"),
        _ => $"the bzip2 decoder failed with code {result}",
    };

    /// <summary>
    /// One decompression stream. The bz_stream lives in native memory because libbz2 keeps a pointer to it; the
    /// handle frees the decoder's state and that memory even when a caller forgets to dispose.
    /// </summary>
    internal sealed class Handle : SafeHandle
    {
        private readonly Functions _functions;

        private Handle(Functions functions) : base(IntPtr.Zero, ownsHandle: true) => _functions = functions;

        public override bool IsInvalid => handle == IntPtr.Zero;

        internal static Handle Create(Functions functions)
        {
            var result = new Handle(functions);
            var stream = (BzStream*)NativeMemory.AllocZeroed((nuint)sizeof(BzStream));
            int code = functions.DecompressInit(stream, 0, 0);
            if (code != BZ_OK)
            {
                NativeMemory.Free(stream);
                result.SetHandleAsInvalid();
                throw code == -3
                    ? new InsufficientMemoryException("libbz2 could not allocate its decoding state (BZ_MEM_ERROR)")
                    : new InvalidOperationException($"BZ2_bzDecompressInit failed with code {code}");
            }
            result.SetHandle((IntPtr)stream);
            return result;
        }

        private const int BZ_OK = 0;

        /// <summary>Decodes from <paramref name="input"/> into <paramref name="output"/>; both are pinned only for this call.</summary>
        internal (int Result, int Consumed, int Produced) Decompress(ReadOnlySpan<byte> input, Span<byte> output)
        {
            bool added = false;
            DangerousAddRef(ref added);
            try
            {
                var stream = (BzStream*)handle;
                fixed (byte* inPtr = input)
                fixed (byte* outPtr = output)
                {
                    stream->NextIn = inPtr;
                    stream->AvailIn = (uint)input.Length;
                    stream->NextOut = outPtr;
                    stream->AvailOut = (uint)output.Length;
                    int result = _functions.Decompress(stream);
                    int consumed = input.Length - (int)stream->AvailIn;
                    int produced = output.Length - (int)stream->AvailOut;
                    // No pointer into managed memory outlives the pin.
                    stream->NextIn = null;
                    stream->NextOut = null;
                    stream->AvailIn = stream->AvailOut = 0;
                    return (result, consumed, produced);
                }
            }
            finally
            {
                if (added) DangerousRelease();
            }
        }

        protected override bool ReleaseHandle()
        {
            var stream = (BzStream*)handle;
            _functions.DecompressEnd(stream);
            NativeMemory.Free(stream);
            return true;
        }
    }
}
