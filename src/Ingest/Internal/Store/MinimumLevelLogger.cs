namespace Presence.Ingest.Internal.Store;

/// <summary>A logger that passes on only entries of <paramref name="minimum"/> and up.</summary>
internal sealed class MinimumLevelLogger(ILogger inner, LogLevel minimum) : ILogger
{
    public IDisposable? BeginScope<TState>(TState state)
        where TState : notnull => inner.BeginScope(state);

    public bool IsEnabled(LogLevel logLevel) => logLevel >= minimum && inner.IsEnabled(logLevel);

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        if (IsEnabled(logLevel))
            inner.Log(logLevel, eventId, state, exception, formatter);
    }
}
