using System.Threading.Channels;
using CondaMirror.Core.IO;

namespace CondaMirror.Core.Downloads;

public sealed partial class PackageDownloader
{
    /// <summary>
    /// The member check of downloaded archives, beside the downloads instead of inside their slots: a download slot hands
    /// its verified temp file over and fetches the next package while one worker per core decompresses and checks this
    /// one. The queue holds at most one waiting archive per worker (temp files on disk, nothing in memory), so a slow
    /// check slows the downloads instead of piling up files. A worker owns the temp file it takes: it commits it to the
    /// cache or deletes it, whatever happens; files still queued when the run stops are deleted by <see cref="DisposeAsync"/>.
    /// </summary>
    private sealed class ValidationStage : IAsyncDisposable
    {
        private readonly Channel<Downloaded> _queue;
        private readonly CancellationTokenSource _stop;
        private readonly Task[] _workers;
        private volatile bool _faulted;

        /// <param name="check">Validates and commits one archive (reporting its own coded failures); anything it throws
        /// stops the whole run.</param>
        public ValidationStage(int workers, Action<Downloaded, CancellationToken> check, CancellationToken cancellationToken)
        {
            workers = Math.Max(1, workers);
            _queue = Channel.CreateBounded<Downloaded>(new BoundedChannelOptions(workers) { SingleWriter = false, SingleReader = false });
            _stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            _workers = Enumerable.Range(0, workers).Select(_ => Task.Run(() => WorkAsync(check))).ToArray();
        }

        /// <summary>Cancelled when the caller cancels or a worker failed unexpectedly: the downloads stop too.</summary>
        public CancellationToken Token => _stop.Token;

        public bool Faulted => _faulted;

        /// <summary>Hands a verified temp file over; waits while every worker is busy and one file is already waiting.
        /// When this throws, the file was not handed over and stays the caller's to delete.</summary>
        public ValueTask EnqueueAsync(Downloaded item) => _queue.Writer.WriteAsync(item, _stop.Token);

        /// <summary>No more archives: waits for the queued ones to be checked, and rethrows a worker's failure.</summary>
        public async Task CompleteAsync()
        {
            _queue.Writer.TryComplete();
            await Task.WhenAll(_workers).ConfigureAwait(false);
        }

        private async Task WorkAsync(Action<Downloaded, CancellationToken> check)
        {
            var token = _stop.Token;
            try
            {
                await foreach (var item in _queue.Reader.ReadAllAsync(token).ConfigureAwait(false))
                {
                    try { check(item, token); }
                    finally { AtomicFile.TryDelete(item.Transfer.TempPath); } // no-op once committed (moved away)
                }
            }
            catch (Exception e) when (e is not OperationCanceledException || !token.IsCancellationRequested)
            {
                _faulted = true;
                _stop.Cancel(); // the downloads waiting to hand over must not wait for a worker that is gone
                throw;
            }
        }

        public async ValueTask DisposeAsync()
        {
            _queue.Writer.TryComplete();
            if (!_workers.All(w => w.IsCompleted))
            {
                // Only reached when the run is already failing or cancelled (a normal run completed the stage): the
                // workers' own exceptions are that same stop, reported by the caller; here they are only waited for,
                // so that each has deleted the file it held.
                _stop.Cancel();
                await Task.WhenAll(_workers).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            }
            while (_queue.Reader.TryRead(out var left)) AtomicFile.TryDelete(left.Transfer.TempPath);
            _stop.Dispose();
        }
    }

    /// <summary>A download whose size and hashes matched the lock, waiting in its temp file for the member check.</summary>
    private sealed record Downloaded(List<DownloadRequest> Group, string Display, Transfer Transfer);
}
