using System.Text;
using Presence.Query.Internal.Store;

namespace Presence.Unit.Tests.Query;

/// <summary>
/// Which reply a read takes (<see cref="ReplyMatcher"/>): as many values as it asked keys, +PONG for
/// a PING, an error for any; anything else breaks the connection; a late reply never reaches the
/// caller's buffer.
/// </summary>
public sealed class ReplyMatcherTests
{
    [Fact]
    public async Task Complete_MultiGet_AsManyValuesAsKeys_AnsweredIntoTheCallersBuffer()
    {
        var values = new long[3];
        var request = new ReadRequest(ReadKind.MultiGet, values, 2, deadline: 0);
        var (reply, reader) = Read("*2\r\n$2\r\n42\r\n$-1\r\n");

        Assert.Equal(ReplyOutcome.Answered, ReplyMatcher.Complete(request, reply, reader));

        Assert.Equal(StoreStatus.Ok, await Status(request));
        Assert.Equal([42L, PresenceStore.Offline, 0L], values); // only the slots it asked for
    }

    [Fact]
    public async Task Complete_Get_OneBulkString_Answered()
    {
        var values = new long[1];
        var request = new ReadRequest(ReadKind.Get, values, 1, deadline: 0);
        var (reply, reader) = Read("$13\r\n1764270000123\r\n");

        Assert.Equal(ReplyOutcome.Answered, ReplyMatcher.Complete(request, reply, reader));

        Assert.Equal(StoreStatus.Ok, await Status(request));
        Assert.Equal(1764270000123L, values[0]);
    }

    [Fact]
    public async Task Complete_Ping_Pong_AnsweredOk()
    {
        var request = new ReadRequest(ReadKind.Ping, [], 0, deadline: 0);
        var (reply, reader) = Read("+PONG\r\n");

        Assert.Equal(ReplyOutcome.Answered, ReplyMatcher.Complete(request, reply, reader));
        Assert.Equal(StoreStatus.Ok, await Status(request));
    }

    [Theory]
    [InlineData("Get", 1, "ERR unknown command")]
    [InlineData("MultiGet", 2, "WRONGTYPE Operation against a key holding the wrong kind of value")]
    [InlineData("Ping", 0, "NOAUTH Authentication required.")]
    public async Task Complete_ErrorReply_Refused_ReadFailed_BufferUntouched(string kind, int count, string error)
    {
        var values = new long[2];
        var request = new ReadRequest(Enum.Parse<ReadKind>(kind), values, count, deadline: 0);
        var (reply, reader) = Read($"-{error}\r\n");

        Assert.Equal(ReplyOutcome.Refused, ReplyMatcher.Complete(request, reply, reader));

        Assert.Equal(StoreStatus.Failed, await Status(request));
        Assert.Equal([0L, 0L], values);
    }

    [Theory]
    [InlineData("MultiGet", 3, "*2\r\n$1\r\n1\r\n$1\r\n2\r\n")]   // fewer values than keys
    [InlineData("MultiGet", 2, "*3\r\n$1\r\n1\r\n$1\r\n2\r\n$1\r\n3\r\n")] // more
    [InlineData("Get", 1, "*0\r\n")]                           // no value for the one key
    [InlineData("Get", 1, "+OK\r\n")]                          // a status to a read
    [InlineData("Ping", 0, "+OK\r\n")]                         // a status, but not PONG
    [InlineData("Ping", 0, "$4\r\nPONG\r\n")]                  // a value to a PING
    [InlineData("Ping", 0, "*0\r\n")]                          // no values are no PONG either
    public void Complete_ReplyTheReadCannotHave_Unexpected_ReadNotCompleted(string kind, int count, string text)
    {
        var values = new long[3];
        var request = new ReadRequest(Enum.Parse<ReadKind>(kind), values, count, deadline: 0);
        var (reply, reader) = Read(text);

        Assert.Equal(ReplyOutcome.Unexpected, ReplyMatcher.Complete(request, reply, reader));

        Assert.False(request.IsDone); // the connection breaks, and fails it as unavailable
        Assert.Equal([0L, 0L, 0L], values);
    }

    [Theory]
    [InlineData("*2\r\n$2\r\n42\r\n$2\r\n43\r\n")]
    [InlineData("-ERR late\r\n")]
    public async Task Complete_ReadThatTimedOut_Late_ItsBufferNeverWritten(string text)
    {
        var values = new long[2];
        var request = new ReadRequest(ReadKind.MultiGet, values, 2, deadline: 0);
        Assert.True(request.TryComplete(StoreStatus.TimedOut));
        var (reply, reader) = Read(text);

        Assert.Equal(ReplyOutcome.Late, ReplyMatcher.Complete(request, reply, reader));

        Assert.Equal(StoreStatus.TimedOut, await Status(request));
        Assert.Equal([0L, 0L], values); // the caller gave up and may already reuse its buffer
    }

    private static (ReplyEvent Reply, ReplyReader Reader) Read(string text)
    {
        var reader = new ReplyReader();
        var reply = reader.Read(Encoding.ASCII.GetBytes(text), out int used);
        Assert.Equal(text.Length, used);
        return (reply, reader);
    }

    /// <summary>How the read ended; it must have ended already (the matcher completes it, or it timed out).</summary>
    private static async Task<StoreStatus> Status(ReadRequest request)
    {
        Assert.True(request.IsDone);
        return await request.Task;
    }
}
