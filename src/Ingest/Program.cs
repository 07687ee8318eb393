using System.Runtime.InteropServices;
using CommandLine;
using CommandLine.Text;
using Presence.Hosting;
using Presence.Ingest;

// presence-ingest: UDP heartbeats in, one pipelined store batch per window out.
// Exit codes: 0 clean stop (SIGTERM/SIGINT), 1 failure at run time, 2 bad options.

var parser = new Parser(s =>
{
    s.HelpWriter = null;
    s.CaseSensitive = true;
    s.CaseInsensitiveEnumValues = true;
});
var parsed = parser.ParseArguments<IngestOptions>(args);
if (parsed is NotParsed<IngestOptions> notParsed)
{
    if (notParsed.Errors.Any(e => e.Tag is ErrorType.HelpRequestedError or ErrorType.VersionRequestedError))
    {
        var help = HelpText.AutoBuild(parsed, h =>
        {
            h.Heading = "presence-ingest: receives UDP heartbeats and keeps one Redis key per online user.";
            h.Copyright = "Usage: presence-ingest [--udp HOST:PORT] [--redis CONFIG] [--ttl SECONDS] [--flush-ms MS] ...";
            h.AddDashesToOption = true;
            h.AdditionalNewLineAfterOption = false;
            h.MaximumDisplayWidth = 110;
            return h;
        }, e => e);
        Console.Out.WriteLine(help);
        return 0;
    }
    Console.Error.WriteLine($"presence-ingest: {Describe(notParsed.Errors.First())} (see --help)");
    return 2;
}

var options = ((Parsed<IngestOptions>)parsed).Value;
var error = options.Validate();
if (error is not null)
{
    Console.Error.WriteLine($"presence-ingest: {error} (see --help)");
    return 2;
}

using var loggerFactory = LoggerFactory.Create(b => b.AddServiceConsole());

// Signals are caught before anything starts: a SIGTERM during start-up still gets a clean stop.
var stop = new TaskCompletionSource();
using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, c => { c.Cancel = true; stop.TrySetResult(); });
using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, c => { c.Cancel = true; stop.TrySetResult(); });
IngestHost? running = null;
using var sighup = PosixSignalRegistration.Create(PosixSignal.SIGHUP, c => { c.Cancel = true; running?.ReloadKeys(); });

IngestHost host;
try
{
    host = await IngestHost.StartAsync(options, loggerFactory);
    running = host;
}
catch (Exception e)
{
    // Start-up only: a port in use, an unreachable embedded store, a bad --redis string.
    Console.Error.WriteLine($"presence-ingest: cannot start: {e.Message}");
    return 1;
}

await stop.Task;
long unwritten = await host.StopAsync();
await host.DisposeAsync();
return unwritten == 0 ? 0 : 1;

static string Describe(Error error) => error switch
{
    UnknownOptionError u => $"unknown option '--{u.Token}'",
    MissingValueOptionError m => $"option '--{m.NameInfo.LongName}' needs a value",
    BadFormatConversionError b => $"option '--{b.NameInfo.LongName}' has a value of the wrong type",
    BadFormatTokenError t => $"unexpected '{t.Token}'",
    RepeatedOptionError r => $"option '--{r.NameInfo.LongName}' is given twice",
    _ => error.Tag.ToString(),
};
