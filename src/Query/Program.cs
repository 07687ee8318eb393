using Presence.Query;

// presence-query: parse the command line (exit 2 on a bad one), then serve until SIGINT/SIGTERM.
var options = QueryCommandLine.Parse(args, Console.Out, Console.Error, out int exitCode);
if (options is null)
    return exitCode;

await using var app = QueryApp.Build(options);
try
{
    await app.StartAsync();
}
catch (IOException e)
{
    Console.Error.WriteLine($"presence-query: cannot listen on {options.Http}: {e.Message}");
    return 1;
}
await app.WaitForShutdownAsync();
return 0;
