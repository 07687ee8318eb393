using Presence.Ingest.Internal.Infrastructure;
using Presence.Ingest.Internal.Store;
using StackExchange.Redis;

namespace Presence.Ingest;

/// <summary>Start-up, first step: the store (--redis, or the embedded Garnet without it).</summary>
public sealed partial class IngestHost
{
    /// <summary>
    /// Connects the store (a store that does not answer fails the start: <see cref="StoreConnection.OpenAsync"/>)
    /// and returns the database every writer and reader of the ingester uses.
    /// </summary>
    private async Task<IDatabase> ConnectStoreAsync()
    {
        _store = await StoreConnection.OpenAsync(_options, _loggerFactory, _logger).ConfigureAwait(false);
        IngestLog.StoreConfigured(_logger, _store.Description);
        // Read on scrape only (/metrics' presence_store_keys), bounded well below a scrape's timeout.
        _keyCounter = new StoreKeyCounter(_store.Multiplexer, TimeSpan.FromMilliseconds(Math.Min(_options.StoreTimeoutMs, 1000)));
        return _store.Multiplexer.GetDatabase();
    }
}
