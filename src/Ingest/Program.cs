using System.Runtime.InteropServices;
using Presence.Hosting;
using Presence.Ingest;

// presence-ingest: UDP heartbeats in, one pipelined store batch per window out.
// Exit codes: 0 clean stop (SIGTERM/SIGINT), 1 failure at run time, 2 bad options.

var options = IngestCommandLine.Parse(args, Console.Out, Console.Error, out int exitCode);
if (options is null)
    return exitCode;

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
