namespace Presence.Ingest.Internal.Infrastructure;

/// <summary>
/// The HTTP side's host lifetime: one that does nothing. Signals belong to <c>Program</c>, which
/// stops the whole ingester in order (receiving, draining, then HTTP). The default
/// ConsoleLifetime also catches SIGTERM/SIGINT and stops the web host on its own: a SIGTERM
/// during start-up then cancelled the HTTP start ("cannot start: A task was canceled", exit 1,
/// though every held user had been written), and one after start-up took /metrics and /readyz
/// away before the drain had begun.
/// </summary>
internal sealed class HttpHostLifetime : IHostLifetime
{
    public Task WaitForStartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
