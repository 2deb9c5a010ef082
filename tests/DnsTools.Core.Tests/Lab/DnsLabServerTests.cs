using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using DnsTools.Core.Dns;
using DnsTools.Core.Lab;

namespace DnsTools.Core.Tests.Lab;

/// <summary>The lab server on real loopback sockets.</summary>
[Collection(TimingCollection.Name)]
public class DnsLabServerTests
{
    private static readonly IPAddress[] Address = { IPAddress.Parse("192.0.2.10") };

    private static DnsLabServer Start(Func<DnsLabRequest, DnsLabDecision> policy)
        => DnsLabServer.Start(new DnsLabServerOptions { Policy = policy });

    private static DnsLabDecision Answer(DnsLabRequest r)
        => new(DnsLabAction.Respond, DnsRcode.NoError, TimeSpan.Zero, r.Type == DnsWire.TypeA ? Address : Array.Empty<IPAddress>());

    private static async Task<byte[]?> ReceiveAsync(Socket socket, TimeSpan timeout)
    {
        var buffer = new byte[2048];
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            var n = await socket.ReceiveAsync(buffer, SocketFlags.None, cts.Token);
            return buffer[..n];
        }
        catch (OperationCanceledException) { return null; }
    }

    private static Socket Client(DnsLabServer server)
    {
        var s = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        s.Connect(server.EndPoint);
        return s;
    }

    [Fact]
    public async Task Answers_and_logs_a_udp_query()
    {
        using var server = Start(Answer);
        Assert.True(IPAddress.IsLoopback(server.EndPoint.Address));
        using var client = Client(server);
        await client.SendAsync(DnsWire.BuildQuery(0xBEEF, "api.example.", DnsWire.TypeA), SocketFlags.None);
        var reply = await ReceiveAsync(client, TimeSpan.FromSeconds(5));
        Assert.NotNull(reply);
        var m = DnsWire.Parse(reply);
        Assert.Equal((ushort)0xBEEF, m.Header.Id);
        Assert.Equal(Address[0], Assert.Single(DnsWire.ReadAddresses(reply)));
        var logged = Assert.Single(server.Queries);
        Assert.Equal(("api.example.", "A", "UDP", (ushort)0xBEEF), (logged.Name, logged.TypeName, logged.Transport, logged.Id));
        Assert.Equal(((IPEndPoint)client.LocalEndPoint!).Port, logged.Client.Port);
        Assert.Equal(DnsRcode.NoError, logged.Rcode);
    }

    [Fact]
    public async Task Delays_a_servfail_by_the_policy()
    {
        using var server = Start(r => new DnsLabDecision(DnsLabAction.Respond, DnsRcode.ServFail, TimeSpan.FromMilliseconds(300), Array.Empty<IPAddress>()));
        using var client = Client(server);
        await client.SendAsync(DnsWire.BuildQuery(1, "x.example.", DnsWire.TypeAaaa), SocketFlags.None);
        var reply = await ReceiveAsync(client, TimeSpan.FromSeconds(5));
        Assert.Equal(DnsRcode.ServFail, DnsWire.Parse(reply).Header.Rcode);
        var q = Assert.Single(server.Queries);
        Assert.InRange((q.RepliedAt!.Value - q.ReceivedAt).TotalMilliseconds, 290, 2000);
    }

    [Fact]
    public async Task Flags_the_second_query_of_a_same_socket_pair_and_can_drop_it()
    {
        // The first answer waits 5 ms, so the pair is still "in flight" when the second query lands.
        using var server = Start(r => r.SecondOfParallelPair ? DnsLabDecision.Dropped : Answer(r) with { Delay = TimeSpan.FromMilliseconds(5) });
        using var client = Client(server);
        // As musl sends them: A and AAAA back to back from one socket.
        await client.SendAsync(DnsWire.BuildQuery(10, "x.example.", DnsWire.TypeA), SocketFlags.None);
        await client.SendAsync(DnsWire.BuildQuery(11, "x.example.", DnsWire.TypeAaaa), SocketFlags.None);
        var first = await ReceiveAsync(client, TimeSpan.FromSeconds(5));
        Assert.Equal((ushort)10, DnsWire.Parse(first).Header.Id);
        Assert.Null(await ReceiveAsync(client, TimeSpan.FromMilliseconds(300)));
        Assert.Equal(new[] { DnsLabAction.Respond, DnsLabAction.Drop }, server.Queries.Select(q => q.Action));

        // A query from another socket is not part of the pair.
        using var other = Client(server);
        await other.SendAsync(DnsWire.BuildQuery(12, "x.example.", DnsWire.TypeAaaa), SocketFlags.None);
        Assert.NotNull(await ReceiveAsync(other, TimeSpan.FromSeconds(5)));
    }

    [Fact]
    public async Task Truncates_over_udp_and_answers_over_tcp()
    {
        using var server = Start(r => Answer(r) with { Truncate = true });
        using var client = Client(server);
        await client.SendAsync(DnsWire.BuildQuery(5, "big.example.", DnsWire.TypeA), SocketFlags.None);
        var udp = DnsWire.Parse(await ReceiveAsync(client, TimeSpan.FromSeconds(5)));
        Assert.True(udp.Header.Truncated);
        Assert.Equal(0, udp.Header.AnswerCount);

        using var tcp = new TcpClient();
        await tcp.ConnectAsync(server.EndPoint);
        var stream = tcp.GetStream();
        var query = DnsWire.BuildQuery(6, "big.example.", DnsWire.TypeA);
        var framed = new byte[query.Length + 2];
        BinaryPrimitives.WriteUInt16BigEndian(framed, (ushort)query.Length);
        query.CopyTo(framed, 2);
        await stream.WriteAsync(framed);
        var length = new byte[2];
        await stream.ReadExactlyAsync(length);
        var reply = new byte[BinaryPrimitives.ReadUInt16BigEndian(length)];
        await stream.ReadExactlyAsync(reply);
        var m = DnsWire.Parse(reply);
        Assert.False(m.Header.Truncated);
        Assert.Equal(Address[0], Assert.Single(DnsWire.ReadAddresses(reply)));
        Assert.Equal(new[] { "UDP", "TCP" }, server.Queries.Select(q => q.Transport));
    }

    [Fact]
    public async Task Malformed_datagrams_are_counted_and_ignored()
    {
        using var server = Start(Answer);
        using var client = Client(server);
        await client.SendAsync(new byte[] { 1, 2, 3 }, SocketFlags.None);
        await client.SendAsync(DnsWire.BuildQuery(9, "ok.example.", DnsWire.TypeA), SocketFlags.None);
        Assert.NotNull(await ReceiveAsync(client, TimeSpan.FromSeconds(5)));
        Assert.Equal(1, server.MalformedMessages);
        Assert.Single(server.Queries);
    }

    [Fact]
    public void Stop_releases_the_port()
    {
        var server = Start(Answer);
        var port = server.EndPoint.Port;
        server.Stop();
        Assert.False(server.IsRunning);
        using var again = DnsLabServer.Start(new DnsLabServerOptions { Port = port, Policy = Answer });
        Assert.Equal(port, again.EndPoint.Port);
    }
}
