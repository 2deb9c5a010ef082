using System.Buffers.Binary;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using DnsTools.Core.Dns;
using DnsTools.Core.Probe;
using DnsTools.Core.ResolvConf;
using DnsTools.Core.Resolvers;

namespace DnsTools.Core.Tests.Probe;

/// <summary>
/// A hostile DNS server (an in-process fake: no real server sends these) answers every query first with a
/// malformed or spoofed NXDOMAIN, then 50 ms later with the real answer. Each resolver model must take exactly
/// what its libc takes (see ReplyAcceptance): musl, which checks only the source address and port and the id,
/// takes the NXDOMAIN without a question or with another question and fails the lookup; glibc and Go wait for
/// the real answer; glibc, which has no QR check, also takes a "reply" with QR clear. The same replies were sent
/// to the real glibc 2.36 and musl 1.2.3 getaddrinfo (a fake server on port 53 in a network namespace) and gave
/// these results.
/// </summary>
[Collection(TimingCollection.Name)]
public class HostileServerTests
{
    public enum Malformation { OtherSourcePort, OtherSourceAddress, NoQuestion, OtherType, OtherName, QrClear, Flood }

    private sealed class HostileDnsServer : IDisposable
    {
        private readonly Socket _server = Udp(IPAddress.Loopback, 0);
        private readonly Socket _otherPort = Udp(IPAddress.Loopback, 0);
        private readonly Socket _otherAddress;
        private readonly Thread _thread;
        private volatile bool _stop;

        public HostileDnsServer(Malformation malformation)
        {
            Malformation = malformation;
            // Linux routes all of 127.0.0.0/8 to loopback: the same port on another loopback address.
            _otherAddress = Udp(IPAddress.Parse("127.0.0.2"), EndPoint.Port);
            _thread = new Thread(Serve) { IsBackground = true, Name = "hostile-dns" };
            _thread.Start();
        }

        public Malformation Malformation { get; }
        public IPEndPoint EndPoint => (IPEndPoint)_server.LocalEndPoint!;
        public int FloodSent { get; private set; }

        private static Socket Udp(IPAddress address, int port)
        {
            var s = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
            s.Bind(new IPEndPoint(address, port));
            return s;
        }

        private readonly HashSet<ushort> _seenIds = new();

        private void Serve()
        {
            var buffer = new byte[512];
            while (!_stop)
            {
                if (!_server.Poll(100_000, SelectMode.SelectRead)) continue;
                // A pair sent back to back (musl, glibc) is read whole before any reply: the flood's wrong ids must not be
                // the id of the other query of the pair, which a libc would rightly take (musl's clock-derived ids of a
                // pair are close together).
                var queries = new List<(DnsMessage Query, EndPoint Client)>();
                Thread.Sleep(2);
                while (_server.Available > 0)
                {
                    EndPoint client = new IPEndPoint(IPAddress.Any, 0);
                    int n;
                    try { n = _server.ReceiveFrom(buffer, ref client); } catch (SocketException) { break; }
                    var parsed = DnsWire.Parse(buffer.AsSpan(0, n));
                    _seenIds.Add(parsed.Header.Id);
                    queries.Add((parsed, client));
                }
                foreach (var (query, client) in queries) Reply(query, client);
            }
        }

        private void Reply(DnsMessage query, EndPoint client)
        {
            var nx = DnsWire.BuildResponse(query, DnsRcode.NxDomain, Array.Empty<IPAddress>());
            switch (Malformation)
            {
                case Malformation.OtherSourcePort: _otherPort.SendTo(nx, client); break;
                case Malformation.OtherSourceAddress: _otherAddress.SendTo(nx, client); break;
                case Malformation.NoQuestion:
                    var header = nx[..12];
                    header[4] = header[5] = 0; // QDCOUNT 0, no question section
                    _server.SendTo(header, client);
                    break;
                case Malformation.OtherType:
                    var otherType = DnsWire.Parse(DnsWire.BuildQuery(query.Header.Id, query.QuestionName, query.QuestionType == DnsWire.TypeA ? DnsWire.TypeAaaa : DnsWire.TypeA));
                    _server.SendTo(DnsWire.BuildResponse(otherType, DnsRcode.NxDomain, Array.Empty<IPAddress>()), client);
                    break;
                case Malformation.OtherName:
                    var otherName = DnsWire.Parse(DnsWire.BuildQuery(query.Header.Id, "other.example.", query.QuestionType));
                    _server.SendTo(DnsWire.BuildResponse(otherName, DnsRcode.NxDomain, Array.Empty<IPAddress>()), client);
                    break;
                case Malformation.QrClear:
                    nx[2] &= 0x7F;
                    _server.SendTo(nx, client);
                    break;
                case Malformation.Flood:
                    // Bounded: 2,000 datagrams of junk, short packets and answers with wrong ids (none a query's id:
                    // musl checks only the id, so junk that happened to carry one would rightly be taken), from the
                    // server's own address.
                    var random = new Random(query.Header.Id);
                    for (var i = 0; i < 2000; i++)
                    {
                        var junk = (i % 4) switch
                        {
                            0 => new byte[random.Next(0, 4)],
                            1 => RandomBytes(random, random.Next(4, 300)),
                            _ => WithId(nx, (ushort)(query.Header.Id ^ (i + 1))),
                        };
                        if (junk.Length >= 2 && _seenIds.Contains(BinaryPrimitives.ReadUInt16BigEndian(junk)))
                            BinaryPrimitives.WriteUInt16BigEndian(junk, UnusedId(random));
                        _server.SendTo(junk, client);
                        FloodSent++;
                    }
                    break;
            }
            // After a flood, time for the client to drain it: 2,000 datagrams overflow the default receive buffer
            // (about 200 of them fit), and the kernel would drop the real answer for any libc that had not read them yet.
            Thread.Sleep(Malformation == Malformation.Flood ? 300 : 50);
            var answers = query.QuestionType == DnsWire.TypeA ? new[] { IPAddress.Parse("192.0.2.1") } : Array.Empty<IPAddress>();
            _server.SendTo(DnsWire.BuildResponse(query, DnsRcode.NoError, answers), client);
        }

        private ushort UnusedId(Random random)
        {
            while (true)
            {
                var id = (ushort)random.Next(0, 65536);
                if (!_seenIds.Contains(id)) return id;
            }
        }

        private static byte[] RandomBytes(Random random, int length)
        {
            var b = new byte[length];
            random.NextBytes(b);
            return b;
        }

        private static byte[] WithId(byte[] message, ushort id)
        {
            var copy = message.ToArray();
            BinaryPrimitives.WriteUInt16BigEndian(copy, id);
            return copy;
        }

        public void Dispose()
        {
            _stop = true;
            _thread.Join(2000);
            _server.Dispose();
            _otherPort.Dispose();
            _otherAddress.Dispose();
        }
    }

    public static TheoryData<string, Malformation, bool> Cases()
    {
        var data = new TheoryData<string, Malformation, bool>();
        foreach (var m in Enum.GetValues<Malformation>())
        {
            // Which libc takes the malformed NXDOMAIN (and so fails the lookup) instead of waiting for the real answer.
            data.Add("musl-1.2.3", m, m is Malformation.NoQuestion or Malformation.OtherType or Malformation.OtherName or Malformation.QrClear);
            data.Add("musl-1.2.5", m, m is Malformation.NoQuestion or Malformation.OtherType or Malformation.OtherName or Malformation.QrClear);
            data.Add("glibc-2.36", m, m is Malformation.QrClear);
            data.Add("go-1.22", m, false);
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Each_resolver_takes_exactly_what_its_libc_takes(string resolver, Malformation malformation, bool takesTheMalformedReply)
    {
        using var server = new HostileDnsServer(malformation);
        var conf = ResolvConfParser.Parse("nameserver 127.0.0.1\noptions timeout:2 attempts:1\n");
        var clock = Stopwatch.StartNew();
        var lookup = DnsProbe.Run("api.example.", conf, ResolverSpec.Parse(resolver), new DnsProbeOptions { Servers = new[] { server.EndPoint }, MaxLookupTime = TimeSpan.FromSeconds(10) });
        clock.Stop();
        if (takesTheMalformedReply)
        {
            Assert.False(lookup.Succeeded, $"{resolver} {malformation}: {lookup.Outcome}");
            Assert.Contains(lookup.Queries, q => q.Rcode == "NxDomain");
        }
        else
        {
            Assert.True(lookup.Succeeded, $"{resolver} {malformation}: {lookup.Outcome}");
            Assert.DoesNotContain(lookup.Queries, q => q.Rcode == "NxDomain");
        }
        // Answered long before the 2 s timeout: nothing waited for the retry clock (a flood included).
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(1.5), $"{resolver} {malformation}: {clock.Elapsed.TotalMilliseconds:0} ms");
        if (malformation == Malformation.Flood) Assert.True(server.FloodSent >= 2000);
    }
}
