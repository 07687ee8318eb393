using Presence.Bench.Faults.History;

namespace Presence.Bench.Faults.Checking;

/// <summary>
/// The transitions as far as the run knows them, per epoch: every line of <see cref="RunHistory.Log"/>
/// and every online/offline item any subscriber received (the log reader may have missed lines of an
/// epoch the store lost). Two sources of one <c>epoch-seq</c> must agree on user, kind and <c>at</c>
/// (rule <c>events-match-log</c>); the log's line wins. <see cref="CoverageOf"/> is the seq up to which
/// the truth is complete (every line from seq 1 through it is known).
/// </summary>
internal sealed class Truth
{
    private readonly Dictionary<string, TruthLine[]> _epochs = [];
    private readonly Dictionary<string, long> _coverage = [];
    // Per epoch and user: that user's lines, in seq order (for a user's state at a position).
    private readonly Dictionary<(string Epoch, ulong User), List<TruthLine>> _byUser = [];

    private Truth()
    {
    }

    public IEnumerable<string> Epochs => _epochs.Keys;

    /// <summary>
    /// Builds the truth; plain streams' items that contradict it are counted on <paramref name="matchRule"/>,
    /// debounced streams' on <paramref name="debounceMatchRule"/>. The debounced streams' events are taken
    /// after every plain one (a wrong debounced event never makes a plain one look altered), and one of a
    /// line the log reader covered but does not have (of this user, or at all) is a violation, not a new line.
    /// </summary>
    public static Truth Build(RunHistory history, RuleTally matchRule, RuleTally debounceMatchRule)
    {
        var truth = new Truth();
        var lines = new Dictionary<string, Dictionary<long, TruthLine>>();
        foreach (var line in history.Log)
        {
            var epoch = Lines(lines, line.Epoch);
            var candidate = new TruthLine(line.Epoch, line.Seq, line.User, line.Online, line.At, line.Reason, FromLog: true);
            if (epoch.TryGetValue(line.Seq, out var known))
            {
                if (!Agree(known, candidate))
                    matchRule.Fail($"the log holds two lines {line.Epoch}-{line.Seq}: {known.Describe()} and {candidate.Describe()}");
                continue;
            }
            epoch[line.Seq] = candidate;
        }
        foreach (var session in history.Sessions.Where(s => !s.Debounced))
        {
            foreach (var item in session.Items)
            {
                if (item.Kind == StreamItemKind.Snapshot || !EventPosition.TryParse(item.EventId, out var position))
                    continue;
                matchRule.Judge();
                var epoch = Lines(lines, position.Epoch);
                var received = new TruthLine(position.Epoch, position.Seq, item.User, item.Kind == StreamItemKind.Online, item.At, item.Reason, FromLog: false);
                if (epoch.TryGetValue(position.Seq, out var known))
                {
                    if (!Agree(known, received))
                        matchRule.Fail($"altered: {HistoryChecker.Describe(session)} received {received.Describe()}, but {(known.FromLog ? "the log" : "another stream")} has {known.Describe()}");
                    continue;
                }
                epoch[position.Seq] = received;
            }
        }
        foreach (var coverage in history.Coverage)
        {
            truth._coverage[coverage.Epoch] = Math.Max(truth.CoverageOf(coverage.Epoch), coverage.ReadThroughSeq);
        }
        foreach (var session in history.Sessions.Where(s => s.Debounced))
        {
            foreach (var item in session.Items)
            {
                if (item.Kind == StreamItemKind.Snapshot || !DebouncedPosition.TryParse(item.EventId, out var position))
                    continue; // no debounced id: rule debounce-exact's
                debounceMatchRule.Judge();
                var epoch = Lines(lines, position.Epoch);
                var received = new TruthLine(position.Epoch, position.Seq, item.User, item.Kind == StreamItemKind.Online, item.At, item.Reason, FromLog: false);
                if (epoch.TryGetValue(position.Seq, out var known))
                {
                    if (!Agree(known, received))
                        debounceMatchRule.Fail($"altered: {HistoryChecker.Describe(session)} received {HistoryChecker.Describe(item)}, but {(known.FromLog ? "the log" : "another stream")} has {known.Describe()}");
                    continue;
                }
                if (position.Seq <= truth.CoverageOf(position.Epoch))
                {
                    debounceMatchRule.Fail($"not a line of the log: {HistoryChecker.Describe(session)} received {HistoryChecker.Describe(item)}, but the log has no line {position.Line} of a judged user");
                    continue;
                }
                epoch[position.Seq] = received;
            }
        }
        foreach (var (name, epoch) in lines)
        {
            var sorted = epoch.Values.OrderBy(l => l.Seq).ToArray();
            truth._epochs[name] = sorted;
            foreach (var line in sorted)
            {
                if (!truth._byUser.TryGetValue((name, line.User), out var list))
                    truth._byUser[(name, line.User)] = list = [];
                list.Add(line);
            }
        }
        return truth;
    }

    /// <summary>Every line of the epoch with seq ≤ this is known (0: none is).</summary>
    public long CoverageOf(string epoch) => _coverage.TryGetValue(epoch, out long seq) ? seq : 0;

    /// <summary>Every known line, all epochs.</summary>
    public IEnumerable<TruthLine> All => _epochs.Values.SelectMany(l => l);

    /// <summary>The user's last known line of <paramref name="epoch"/> with seq ≤ <paramref name="seq"/>, if any.</summary>
    public TruthLine? LastOfUser(string epoch, ulong user, long seq)
    {
        if (!_byUser.TryGetValue((epoch, user), out var list))
            return null;
        int i = LowerBound(list, seq + 1) - 1;
        return i >= 0 ? list[i] : null;
    }

    /// <summary>The user's known lines of <paramref name="epoch"/> with <paramref name="afterSeq"/> &lt; seq ≤ <paramref name="throughSeq"/>, in order.</summary>
    public IEnumerable<TruthLine> OfUser(string epoch, ulong user, long afterSeq, long throughSeq)
    {
        if (!_byUser.TryGetValue((epoch, user), out var list))
            yield break;
        for (int i = LowerBound(list, afterSeq + 1); i < list.Count && list[i].Seq <= throughSeq; i++)
            yield return list[i];
    }

    private static Dictionary<long, TruthLine> Lines(Dictionary<string, Dictionary<long, TruthLine>> lines, string epoch)
    {
        if (!lines.TryGetValue(epoch, out var byseq))
            lines[epoch] = byseq = [];
        return byseq;
    }

    // The reason is compared only when both sides have one (an online item has none).
    private static bool Agree(TruthLine a, TruthLine b) =>
        a.User == b.User && a.Online == b.Online && a.At == b.At
        && (a.Reason is null || b.Reason is null || a.Reason == b.Reason);

    private static int LowerBound(IReadOnlyList<TruthLine> lines, long seq)
    {
        int lo = 0, hi = lines.Count;
        while (lo < hi)
        {
            int mid = (lo + hi) >>> 1;
            if (lines[mid].Seq < seq)
                lo = mid + 1;
            else
                hi = mid;
        }
        return lo;
    }
}
