using System.Runtime.InteropServices;
using Presence.LoadGen;

// The first SIGINT or SIGTERM stops sending (the summary and verification still follow); a
// second one ends the process at once.
using var stop = new CancellationTokenSource();
int signals = 0;
Console.CancelKeyPress += (_, e) =>
{
    if (Interlocked.Increment(ref signals) == 1)
    {
        e.Cancel = true;
        stop.Cancel();
    }
};
using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, context =>
{
    if (Interlocked.Increment(ref signals) == 1)
    {
        context.Cancel = true;
        stop.Cancel();
    }
});
return await LoadGenCli.RunAsync(args, Console.Out, Console.Error, terminal: !Console.IsErrorRedirected, stop.Token);
