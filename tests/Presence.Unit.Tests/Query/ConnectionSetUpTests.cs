using System.Text;
using Presence.Query.Internal.Store;
using StackExchange.Redis;

namespace Presence.Unit.Tests.Query;

/// <summary>What the direct read connection sends when it opens (<see cref="ConnectionSetUp"/>), and which refusals fail it.</summary>
public sealed class ConnectionSetUpTests
{
    [Fact]
    public void From_NothingAsked_NoCommands_NoRepliesAwaited()
    {
        var setUp = ConnectionSetUp.From(ConfigurationOptions.Parse("127.0.0.1:6379,defaultDatabase=0"));

        Assert.Empty(setUp.Commands);
        Assert.Equal(0, setUp.Replies);
    }

    [Fact]
    public void From_UserPasswordDatabaseAndName_AuthSelectSetName_InOrder()
    {
        var options = ConfigurationOptions.Parse("127.0.0.1:6379,user=reader,password=s3cret,defaultDatabase=3");
        options.ClientName = "presence query";

        var setUp = ConnectionSetUp.From(options);

        Assert.Equal(
            "*3\r\n$4\r\nAUTH\r\n$6\r\nreader\r\n$6\r\ns3cret\r\n" +
            "*2\r\n$6\r\nSELECT\r\n$1\r\n3\r\n" +
            "*3\r\n$6\r\nCLIENT\r\n$7\r\nSETNAME\r\n$14\r\npresence-query\r\n", // a name cannot hold a space
            Encoding.UTF8.GetString(setUp.Commands));
        Assert.Equal(3, setUp.Replies);
    }

    [Fact]
    public void From_PasswordOnly_AuthWithThePasswordAlone()
    {
        var setUp = ConnectionSetUp.From(ConfigurationOptions.Parse("127.0.0.1:6379,password=s3cret"));

        Assert.Equal("*2\r\n$4\r\nAUTH\r\n$6\r\ns3cret\r\n", Encoding.UTF8.GetString(setUp.Commands));
        Assert.Equal(1, setUp.Replies);
    }

    [Fact]
    public void Accepts_RefusedAuthOrSelect_Not_RefusedSetName_Yes()
    {
        var options = ConfigurationOptions.Parse("127.0.0.1:6379,password=s3cret,defaultDatabase=2");
        options.ClientName = "q";
        var setUp = ConnectionSetUp.From(options);

        Assert.False(setUp.Accepts(0, ReplyEvent.Error)); // AUTH: reads would be refused one by one
        Assert.False(setUp.Accepts(1, ReplyEvent.Error)); // SELECT: reads would see another database
        Assert.True(setUp.Accepts(2, ReplyEvent.Error));  // CLIENT SETNAME: a store without it still serves reads
        Assert.True(setUp.Accepts(0, ReplyEvent.Status));
        Assert.True(setUp.Accepts(1, ReplyEvent.Status));
    }

    [Fact]
    public void From_WithAScript_LoadsItLast_ARefusedLoadFailsTheConnection()
    {
        var options = ConfigurationOptions.Parse("127.0.0.1:6379");
        options.ClientName = "q";

        var setUp = ConnectionSetUp.From(options, "return 1");

        Assert.Equal(
            "*3\r\n$6\r\nCLIENT\r\n$7\r\nSETNAME\r\n$1\r\nq\r\n" +
            "*3\r\n$6\r\nSCRIPT\r\n$4\r\nLOAD\r\n$8\r\nreturn 1\r\n",
            Encoding.UTF8.GetString(setUp.Commands));
        Assert.Equal(2, setUp.Replies);
        Assert.True(setUp.Accepts(1, ReplyEvent.Values)); // the script's SHA-1, a bulk string
        Assert.False(setUp.Accepts(1, ReplyEvent.Error)); // every read would be refused (NOSCRIPT) after it
    }
}
