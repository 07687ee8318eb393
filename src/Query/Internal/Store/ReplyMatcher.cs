namespace Presence.Query.Internal.Store;

/// <summary>
/// Whether a reply fits the read it answers, and completing the read with it: a GET or MGET takes
/// exactly as many values as it asked keys, a PING takes +PONG, any read takes an error. Apart from
/// the connection so that it can be tested without one.
/// </summary>
internal static class ReplyMatcher
{
    /// <summary>Completes <paramref name="request"/> with the reply <paramref name="reader"/> has just read.</summary>
    public static ReplyOutcome Complete(ReadRequest request, ReplyEvent reply, ReplyReader reader)
    {
        switch (reply)
        {
            case ReplyEvent.Values when request.Kind != ReadKind.Ping && reader.Values.Length == request.Count:
                return request.TryComplete(reader.Values) ? ReplyOutcome.Answered : ReplyOutcome.Late;
            case ReplyEvent.Status when request.Kind == ReadKind.Ping && reader.Text == "PONG":
                return request.TryComplete(StoreStatus.Ok) ? ReplyOutcome.Answered : ReplyOutcome.Late;
            case ReplyEvent.Error:
                return request.TryComplete(StoreStatus.Failed) ? ReplyOutcome.Refused : ReplyOutcome.Late;
            default:
                return ReplyOutcome.Unexpected;
        }
    }
}
