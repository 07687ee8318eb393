namespace Presence.Ingest.Internal.Store;

/// <summary>
/// The embedded Garnet's logging, into the ingest's own log (its format, its output) under
/// <c>Garnet.&lt;category&gt;</c>: warnings and errors only. What Garnet says at start-up (its version
/// and address, otherwise a banner on stdout) is one line of the ingest's, IngestLog.EmbeddedStarted.
/// </summary>
internal sealed class EmbeddedStoreLoggerFactory(ILoggerFactory host) : ILoggerFactory
{
    public ILogger CreateLogger(string categoryName) =>
        // ArgParser warns that Garnet's own log options are ignored once it is given a factory: by design here.
        new MinimumLevelLogger(host.CreateLogger("Garnet." + categoryName), categoryName == "ArgParser" ? LogLevel.Error : LogLevel.Warning);

    public void AddProvider(ILoggerProvider provider) =>
        throw new NotSupportedException("The embedded store logs through the ingest's providers.");

    public void Dispose()
    {
        // The host's factory belongs to the host.
    }
}
