namespace Presence.Bench.EndToEnd;

/// <summary>The built programs, run with <c>dotnet FILE.dll</c>.</summary>
internal sealed record Binaries(string Ingest, string LoadGen, string Baseline);
