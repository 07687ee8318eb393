using System.Globalization;
using Microsoft.Extensions.Logging;

namespace Presence.Hosting;

/// <summary>
/// The console log of every Presence service, one format for all: one line per entry, the UTC time
/// in ISO 8601 to the millisecond, the level, the category and the event id, e.g.
/// <c>2026-11-28T09:14:03.512Z info: Presence.Ingest[1] UDP listening on …</c>. Information and up;
/// ASP.NET Core's per-request lines only from Warning up.
/// </summary>
public static class ServiceLogging
{
    /// <summary>The time at the start of each line.</summary>
    public const string TimestampFormat = "yyyy-MM-ddTHH:mm:ss.fffZ ";

    /// <summary>Console logging as above, in place of whatever providers the builder had.</summary>
    public static ILoggingBuilder AddServiceConsole(this ILoggingBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.ClearProviders();
        builder.AddSimpleConsole(console =>
        {
            console.SingleLine = true;
            console.UseUtcTimestamp = true;
            console.TimestampFormat = TimestampFormat;
        });
        builder.SetMinimumLevel(LogLevel.Information);
        builder.AddFilter("Microsoft.AspNetCore", LogLevel.Warning);
        return builder;
    }

    /// <summary>
    /// The category of a program's own log lines, from its published name: <c>presence-ingest</c>
    /// logs as <c>Presence.Ingest</c>, <c>presence-query</c> as <c>Presence.Query</c> (its namespace).
    /// </summary>
    public static string Category(string program)
    {
        ArgumentException.ThrowIfNullOrEmpty(program);
        return string.Join('.', program.Split('-', StringSplitOptions.RemoveEmptyEntries)
            .Select(word => char.ToUpper(word[0], CultureInfo.InvariantCulture) + word[1..]));
    }

    /// <summary>The logger for <paramref name="program"/>'s own lines (<see cref="Category"/>).</summary>
    public static ILogger CreateServiceLogger(this ILoggerFactory factory, string program)
    {
        ArgumentNullException.ThrowIfNull(factory);
        return factory.CreateLogger(Category(program));
    }
}
