using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using DnsTools.Core.Dns;
using DnsTools.Core.Lab;
using DnsTools.Core.Resolvers;
using Xunit;

namespace DnsTools.Core.Tests.ServerDiscovery;

/// <summary>The lab server replays a "reset" rule as plans take it: over TCP it accepts, reads the query and resets the connection; over UDP it does not answer.</summary>
public sealed class LabServerResetTests
{
    [Fact]
    public void A_reset_rule_resets_the_tcp_connection_after_reading_the_query_and_drops_udp()
    {
        var rules = new[] { "A reset.example -> reset" };
        using var lab = DnsLabServer.Start(new DnsLabServerOptions { Policy = DnsLabPolicy.FromBehavior(ServerBehavior.Parse(rules), "127.0.0.1") });
        using (var tcp = new TcpClient())
        {
            tcp.Connect(lab.EndPoint);
            var query = DnsWire.BuildQuery(7, "reset.example.", DnsWire.TypeA);
            var framed = new byte[query.Length + 2];
            BinaryPrimitives.WriteUInt16BigEndian(framed, (ushort)query.Length);
            query.CopyTo(framed, 2);
            var stream = tcp.GetStream();
            stream.ReadTimeout = 3000;
            stream.Write(framed);
            var e = Assert.ThrowsAny<IOException>(() => stream.ReadExactly(new byte[2]));
            Assert.Equal(SocketError.ConnectionReset, Assert.IsType<SocketException>(e.InnerException).SocketErrorCode);
        }
        using (var udp = new UdpClient(new IPEndPoint(IPAddress.Loopback, 0)))
        {
            udp.Client.ReceiveTimeout = 300;
            var query = DnsWire.BuildQuery(8, "reset.example.", DnsWire.TypeA);
            udp.Send(query, query.Length, lab.EndPoint);
            IPEndPoint? from = null;
            Assert.Equal(SocketError.TimedOut, Assert.Throws<SocketException>(() => udp.Receive(ref from)).SocketErrorCode);
        }
        Assert.Contains(lab.Queries, q => q.Transport == "TCP" && q.Action == DnsLabAction.Reset && q.RepliedAt is not null);
        // Other names are answered over TCP as before.
        using var ok = new TcpClient();
        ok.Connect(lab.EndPoint);
        var q2 = DnsWire.BuildQuery(9, "other.example.", DnsWire.TypeA);
        var f2 = new byte[q2.Length + 2];
        BinaryPrimitives.WriteUInt16BigEndian(f2, (ushort)q2.Length);
        q2.CopyTo(f2, 2);
        var s2 = ok.GetStream();
        s2.ReadTimeout = 3000;
        s2.Write(f2);
        var length = new byte[2];
        s2.ReadExactly(length);
        Assert.True(BinaryPrimitives.ReadUInt16BigEndian(length) > 12);
    }
}
