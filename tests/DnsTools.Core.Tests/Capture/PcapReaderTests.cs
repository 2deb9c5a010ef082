using System.Buffers.Binary;
using System.Net;
using System.Net.NetworkInformation;
using DnsTools.Core.Capture;
using DnsTools.Core.Dns;
using DnsTools.Fuzz;
using PacketDotNet;

namespace DnsTools.Core.Tests.Capture;

/// <summary>
/// Container formats built byte by byte from their specifications by the fuzz project's <see cref="Frames"/> (the
/// same writer makes the pcap seeds); the packets inside are built by PacketDotNet. Real tcpdump captures are read
/// in the Pester integration tests.
/// </summary>
public class PcapReaderTests
{
    internal static byte[] UdpFrame(string src, int sport, string dst, int dport, byte[] payload, bool ethernet = true)
        => Frames.Udp(src, sport, dst, dport, payload, ethernet);

    internal static byte[] Query(ushort id, string name, ushort type) => DnsWire.BuildQuery(id, name, type);

    internal static byte[] Response(ushort id, string name, ushort type, DnsRcode rcode)
        => DnsWire.BuildResponse(DnsWire.Parse(Query(id, name, type)), rcode, rcode == DnsRcode.NoError && type == DnsWire.TypeA ? new[] { IPAddress.Parse("192.0.2.1") } : Array.Empty<IPAddress>());

    internal static byte[] Pcap(int linkType, IEnumerable<(double Seconds, byte[] Frame)> packets, int? cutLastTo = null)
    {
        var bytes = Frames.Pcap(linkType, packets);
        return cutLastTo is { } cut ? bytes[..(bytes.Length - cut)] : bytes;
    }

    internal static byte[] PcapNg(int linkType, IEnumerable<(double Seconds, byte[] Frame)> packets) => Frames.PcapNg(linkType, packets);

    internal static (double, byte[])[] Exchange(bool ethernet = true) => new (double, byte[])[]
    {
        (1000.000100, UdpFrame("10.244.0.5", 40000, "10.96.0.10", 53, Query(1, "api.example.", DnsWire.TypeA), ethernet)),
        (1000.000110, UdpFrame("10.244.0.5", 40000, "10.96.0.10", 53, Query(2, "api.example.", DnsWire.TypeAaaa), ethernet)),
        (1000.001100, UdpFrame("10.96.0.10", 53, "10.244.0.5", 40000, Response(1, "api.example.", DnsWire.TypeA, DnsRcode.NoError), ethernet)),
        (1001.701100, UdpFrame("10.96.0.10", 53, "10.244.0.5", 40000, Response(2, "api.example.", DnsWire.TypeAaaa, DnsRcode.ServFail), ethernet)),
    };

    private static List<DnsPacket> Read(byte[] file, CaptureReadStatistics stats) => PcapReader.Read(new MemoryStream(file), stats, "test.pcap").ToList();

    [Fact]
    public void Reads_pcap_with_ethernet_and_pairs_the_queries()
    {
        var stats = new CaptureReadStatistics();
        var packets = Read(Pcap(1, Exchange()), stats);
        Assert.Equal(4, packets.Count);
        var queries = CaptureAnalyzer.Pair(packets).ToList();
        Assert.Equal(2, queries.Count);
        Assert.Equal(("A", "NoError", 1), (queries[0].Type, queries[0].Rcode, queries[0].AnswerCount));
        Assert.InRange(queries[0].Latency!.Value.TotalMilliseconds, 0.99, 1.01);
        Assert.Equal(("AAAA", "ServFail"), (queries[1].Type, queries[1].Rcode));
        Assert.InRange(queries[1].Latency!.Value.TotalMilliseconds, 1700.9, 1701.1);
        Assert.Equal("test.pcap:packet 1", queries[0].Source);
    }

    [Fact]
    public void Reads_pcapng_with_nanosecond_timestamps_and_raw_ip()
    {
        var stats = new CaptureReadStatistics();
        var packets = Read(PcapNg(101, Exchange(ethernet: false)), stats);
        Assert.Equal(4, packets.Count);
        Assert.Equal(TimeSpan.FromMilliseconds(1701), packets[3].Timestamp - packets[0].Timestamp);
        Assert.Equal("10.96.0.10", packets[0].DestinationHost);
    }

    [Fact]
    public void A_file_cut_mid_packet_keeps_what_came_before_and_counts_the_rest()
    {
        var stats = new CaptureReadStatistics();
        var packets = Read(Pcap(1, Exchange(), cutLastTo: 10), stats);
        Assert.Equal(3, packets.Count);
        Assert.Equal(1, stats.SkippedTruncated);
    }

    [Fact]
    public void Non_dns_on_port_53_and_unknown_link_types_are_counted_not_thrown()
    {
        var stats = new CaptureReadStatistics();
        var frames = new (double, byte[])[]
        {
            (1, UdpFrame("10.0.0.1", 1234, "10.0.0.2", 53, new byte[] { 1, 2, 3, 4, 5 })),
            (2, UdpFrame("10.0.0.1", 1234, "10.0.0.2", 80, Query(1, "x.example.", DnsWire.TypeA))),
        };
        Assert.Empty(Read(Pcap(1, frames), stats));
        Assert.Equal(1, stats.SkippedMalformed);
        Assert.Equal(1, stats.SkippedNotDns);
        Assert.Contains(stats.Warnings("test.pcap"), w => w.Contains("malformed"));

        var unknown = new CaptureReadStatistics();
        Assert.Empty(Read(Pcap(4242, frames), unknown));
        Assert.Equal(2, unknown.SkippedUnsupportedLinkType);
    }

    [Fact]
    public void A_file_that_is_not_a_capture_is_an_error_naming_it()
    {
        var e = Assert.Throws<InvalidDataException>(() => PcapReader.Read(new MemoryStream("hello world"u8.ToArray()), new CaptureReadStatistics(), "notes.txt").ToList());
        Assert.Contains("'notes.txt' is not a pcap or pcapng file", e.Message);
    }

    [Fact]
    public void An_absurd_record_length_is_an_error_not_an_allocation()
    {
        var file = Pcap(1, Exchange());
        BinaryPrimitives.WriteUInt32LittleEndian(file.AsSpan(24 + 8), 0x7FFFFFFF);
        var e = Assert.Throws<InvalidDataException>(() => Read(file, new CaptureReadStatistics()));
        Assert.Contains("damaged", e.Message);
    }
}
