using System.Globalization;
using System.Net;
using CommandLine;
using Presence.Core;
using Presence.LoadGen.Internal;

namespace Presence.LoadGen;

/// <summary>
/// The command line of <c>presence-loadgen</c> (OPERATIONS.md: names and defaults are a contract).
/// Every default is written here, where the option is declared; <see cref="Validate"/> checks
/// what the parser cannot, with a one-line reason.
/// </summary>
[Verb("run", isDefault: true, HelpText = "Send heartbeats (the default: 'presence-loadgen --users 1000' is 'presence-loadgen run --users 1000').")]
public sealed class LoadGenOptions
{
    public const string DefaultTarget = "127.0.0.1:7700";
    public const int DefaultUsers = 10_000;
    public const ulong DefaultFirstId = 1;
    public const double DefaultInterval = 10;
    public const double DefaultDuration = 0;
    public const int DefaultPerFrame = 1;
    public const double DefaultDup = 0;
    public const double DefaultTtl = 30;
    public const double DefaultVerifyWait = 2;
    public const int DefaultVerifyBatch = 1000;
    public const SenderKind DefaultSender = SenderKind.Sendmmsg;
    public const int DefaultBatch = FrameBatch.DefaultCapacity;
    public const ulong DefaultSeed = 1;
    public const double DefaultChurn = 0;
    public const double DefaultChurnActive = 45;
    public const double DefaultChurnSilent = 45;
    public const double DefaultChurnSignOut = 0.5;

    [Option("target", Default = DefaultTarget, MetaValue = "HOST:PORT",
        HelpText = "Where the ingester listens (UDP).")]
    public string Target { get; set; } = DefaultTarget;

    [Option("users", Default = DefaultUsers, MetaValue = "N",
        HelpText = "Simulated users (devices).")]
    public int Users { get; set; } = DefaultUsers;

    [Option("first-id", Default = DefaultFirstId, MetaValue = "N",
        HelpText = "The first user id: users are first-id … first-id + users − 1, so runs can use disjoint ranges.")]
    public ulong FirstId { get; set; } = DefaultFirstId;

    [Option("interval", Default = DefaultInterval, MetaValue = "SECONDS",
        HelpText = "Each user heartbeats once per interval, the users spread evenly over it. 0 floods: users back to back, as fast as --rate allows (benchmarks).")]
    public double Interval { get; set; } = DefaultInterval;

    [Option("duration", Default = DefaultDuration, MetaValue = "SECONDS",
        HelpText = "How long to send; 0 sends until SIGINT/SIGTERM.")]
    public double Duration { get; set; } = DefaultDuration;

    [Option("rate", MetaValue = "N",
        HelpText = "Cap on frames per second. (Default: none beyond the schedule, which sends users × (1 + dup) / (interval × per-frame) frames/s.)")]
    public double? Rate { get; set; }

    [Option("per-frame", Default = DefaultPerFrame, MetaValue = "K",
        HelpText = "Records per frame: 1 … 91 unsigned, 1 … 45 signed (one UDP frame of at most 1472 bytes).")]
    public int PerFrame { get; set; } = DefaultPerFrame;

    [Option("dup", Default = DefaultDup, MetaValue = "F",
        HelpText = "Extra duplicates, 0 … 1: F extra records per scheduled one, each repeating a user sent within about the last 100 ms.")]
    public double Dup { get; set; } = DefaultDup;

    [Option("churn", Default = DefaultChurn, MetaValue = "F",
        HelpText = "Share of the users, 0 … 1, that churn: evenly spread over the id range (0.01: every 100th id), each alternates between --churn-active seconds of heartbeats and --churn-silent seconds of silence, their phases spread so transitions come at a steady rate.")]
    public double Churn { get; set; } = DefaultChurn;

    [Option("churn-active", Default = DefaultChurnActive, MetaValue = "SECONDS",
        HelpText = "How long a churning user heartbeats before it falls silent (at least --interval).")]
    public double ChurnActive { get; set; } = DefaultChurnActive;

    [Option("churn-silent", Default = DefaultChurnSilent, MetaValue = "SECONDS",
        HelpText = "How long a churning user stays silent: longer than --ttl, so its key expires (at least --interval).")]
    public double ChurnSilent { get; set; } = DefaultChurnSilent;

    [Option("churn-signout", Default = DefaultChurnSignOut, MetaValue = "F",
        HelpText = "Share of the churning users, 0 … 1, that sign out (one kind 1 record) when they fall silent, rather than just stop: their offline is a sign-out, the others' a timeout.")]
    public double ChurnSignOut { get; set; } = DefaultChurnSignOut;

    [Option("keys", MetaValue = "FILE",
        HelpText = "Master key file (key_id:hex a line): sign every record with its user's device key. (Default: unsigned.)")]
    public string? Keys { get; set; }

    [Option("key-id", MetaValue = "ID",
        HelpText = "Which master key of --keys signs. (Default: the highest key id in the file.)")]
    public int? KeyId { get; set; }

    [Option("verify", MetaValue = "URL",
        HelpText = "Query service base URL (e.g. http://127.0.0.1:8080): afterwards, check that every user that heartbeated within --ttl is online; exit 1 if any is not.")]
    public string? Verify { get; set; }

    [Option("ttl", Default = DefaultTtl, MetaValue = "SECONDS",
        HelpText = "The ingester's online threshold, for --verify (and --churn-silent must be longer).")]
    public double Ttl { get; set; } = DefaultTtl;

    [Option("verify-wait", Default = DefaultVerifyWait, MetaValue = "SECONDS",
        HelpText = "How long --verify keeps asking about users not yet online (the ingester writes once per flush window).")]
    public double VerifyWait { get; set; } = DefaultVerifyWait;

    [Option("verify-batch", Default = DefaultVerifyBatch, MetaValue = "N",
        HelpText = "Ids per query request (the query service's --max-batch).")]
    public int VerifyBatch { get; set; } = DefaultVerifyBatch;

    [Option("offline-at-end", Default = false,
        HelpText = "When sending stops, sign every covered user off (kind 1); --verify then expects them offline.")]
    public bool OfflineAtEnd { get; set; }

    [Option("json", Default = false,
        HelpText = "Print one JSON summary object on stdout at the end (and nothing else there).")]
    public bool Json { get; set; }

    [Option("sender", MetaValue = "sendmmsg|socket",
        HelpText = "(Default: sendmmsg) How frames reach the kernel: sendmmsg (Linux, one call per batch) or socket (Socket.SendTo per frame).")]
    public SenderKind Sender { get; set; } = DefaultSender;

    [Option("batch", Default = DefaultBatch, MetaValue = "N",
        HelpText = "Most frames per send call, 1 … 1024.")]
    public int Batch { get; set; } = DefaultBatch;

    [Option("last-sent", MetaValue = "FILE",
        HelpText = "At the end, write each user's last heartbeat send time to FILE: one little-endian int64 a user in id order (Unix ms, read just before the send call; 0 = never sent), for benchmarks that check every user's latest heartbeat reached the store. 8 bytes a user in memory. (Default: not written.)")]
    public string? LastSent { get; set; }

    [Option("seed", Default = DefaultSeed, MetaValue = "N",
        HelpText = "Chooses the order users are sent in and which users are duplicated; the same seed repeats a run.")]
    public ulong Seed { get; set; } = DefaultSeed;

    /// <summary>Anything left over that is not an option: rejected by <see cref="Validate"/>.</summary>
    [Value(0, Hidden = true)]
    public IEnumerable<string> Unexpected { get; set; } = [];

    /// <summary>The most records one UDP frame holds in the chosen mode.</summary>
    public int MaxPerFrame => Keys is null ? FrameFormat.MaxUdpUnsignedRecords : FrameFormat.MaxUdpSignedRecords;

    /// <summary>Frames per second the schedule implies: users × (1 + dup) / (interval × per-frame); infinite when flooding.</summary>
    public double ImpliedRate => Interval == 0 ? double.PositiveInfinity : Users * (1 + Dup) / (Interval * PerFrame);

    /// <summary>The first problem with the values, as one line naming the option, or null when all are usable.</summary>
    public string? Validate()
    {
        var extra = Unexpected.FirstOrDefault();
        if (extra is not null)
            return $"unexpected argument '{extra}'";
        if (!TryParseTarget(Target, out _))
            return $"--target: '{Target}' is not HOST:PORT with an IP address (or localhost) and a port 1 … 65535";
        if (Users < 1 || Users > Array.MaxLength)
            return $"--users: {Users} is not 1 … {Array.MaxLength}";
        if (FirstId == 0)
            return "--first-id: user ids start at 1 (0 is not a valid user id)";
        if (FirstId + (ulong)(Users - 1) < FirstId)
            return $"--first-id: {FirstId} + {Users} users passes the largest user id (2^64 − 1)";
        if (!double.IsFinite(Interval) || Interval < 0)
            return $"--interval: {Fmt(Interval)} is not 0 or more seconds";
        if (!double.IsFinite(Duration) || Duration < 0)
            return $"--duration: {Fmt(Duration)} is not 0 (until stopped) or more seconds";
        if (Interval == 0 && Duration == 0)
            return "--interval 0 floods: give a --duration too";
        if (Rate is { } rate && (!double.IsFinite(rate) || rate <= 0))
            return $"--rate: {Fmt(rate)} is not a positive number of frames per second";
        if (PerFrame < 1 || PerFrame > MaxPerFrame)
            return $"--per-frame: {PerFrame} is not 1 … {MaxPerFrame} ({(Keys is null ? "unsigned" : "signed")} records in one UDP frame)";
        if (!(Dup >= 0 && Dup <= 1))
            return $"--dup: {Fmt(Dup)} is not a share from 0 to 1";
        if (!(Churn >= 0 && Churn <= 1))
            return $"--churn: {Fmt(Churn)} is not a share from 0 to 1";
        if (!(ChurnSignOut >= 0 && ChurnSignOut <= 1))
            return $"--churn-signout: {Fmt(ChurnSignOut)} is not a share from 0 to 1";
        if (Churn > 0)
        {
            if (Interval == 0)
                return "--churn needs a schedule: an --interval above 0";
            if (!double.IsFinite(ChurnActive) || ChurnActive < Interval)
                return $"--churn-active: {Fmt(ChurnActive)} is not at least --interval ({Fmt(Interval)} s): a churning user must heartbeat in each active period";
            if (!double.IsFinite(ChurnSilent) || ChurnSilent < Interval)
                return $"--churn-silent: {Fmt(ChurnSilent)} is not at least --interval ({Fmt(Interval)} s)";
            if (ChurnSilent <= Ttl)
                return $"--churn-silent: {Fmt(ChurnSilent)} is not longer than --ttl ({Fmt(Ttl)} s): the user would never time out";
        }
        if (KeyId is { } id && (id < 0 || id > 255))
            return $"--key-id: {id} is not 0 … 255";
        if (KeyId is not null && Keys is null)
            return "--key-id needs --keys";
        if (Verify is not null && !TryParseVerifyUrl(Verify, out _))
            return $"--verify: '{Verify}' is not an http:// or https:// URL";
        if (!double.IsFinite(Ttl) || Ttl <= 0)
            return $"--ttl: {Fmt(Ttl)} is not a positive number of seconds";
        if (!double.IsFinite(VerifyWait) || VerifyWait < 0)
            return $"--verify-wait: {Fmt(VerifyWait)} is not 0 or more seconds";
        if (VerifyBatch < 1)
            return $"--verify-batch: {VerifyBatch} is not 1 or more";
        if (Batch < 1 || Batch > 1024)
            return $"--batch: {Batch} is not 1 … 1024";
        if (LastSent is not null && (LastSent.Length == 0 || !Directory.Exists(Path.GetDirectoryName(Path.GetFullPath(LastSent)))))
            return $"--last-sent: '{LastSent}' is not a file in an existing directory";
        if (Sender == SenderKind.Sendmmsg && !OperatingSystem.IsLinux())
            return "--sender sendmmsg is Linux only: use --sender socket";
        return null;
    }

    /// <summary>HOST:PORT with an IPv4/IPv6 literal ([::1]:7700) or localhost.</summary>
    public static bool TryParseTarget(string text, out IPEndPoint endPoint)
    {
        endPoint = null!;
        if (text.StartsWith("localhost:", StringComparison.OrdinalIgnoreCase))
            text = "127.0.0.1" + text["localhost".Length..];
        if (!IPEndPoint.TryParse(text, out var parsed) || parsed.Port == 0 || !text.Contains(':', StringComparison.Ordinal)
            || (parsed.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6 && !text.Contains("]:", StringComparison.Ordinal)))
            return false;
        endPoint = parsed;
        return true;
    }

    public static bool TryParseVerifyUrl(string text, out Uri uri) =>
        Uri.TryCreate(text, UriKind.Absolute, out uri!) && (uri.Scheme == Uri.UriSchemeHttp || uri.Scheme == Uri.UriSchemeHttps);

    private static string Fmt(double value) => value.ToString(CultureInfo.InvariantCulture);
}
