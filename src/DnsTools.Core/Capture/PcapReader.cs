using System.Buffers.Binary;
using DnsTools.Core.Dns;
using PacketDotNet;

namespace DnsTools.Core.Capture;

/// <summary>
/// Reads pcap and pcapng files as a stream (bounded memory: one block at a time) and decodes DNS over
/// UDP and TCP port 53. The file container is read here (its format is a few fixed headers); the
/// link, IP, UDP and TCP layers are decoded by PacketDotNet (Ethernet, VLAN, Linux cooked v1/v2,
/// raw IP, BSD loopback). Damaged input is counted and skipped, never thrown, except a file that is
/// not a capture at all.
/// </summary>
public static class PcapReader
{
    /// <summary>No sane capture block is larger; a larger length means the file is damaged.</summary>
    public const int MaxBlockBytes = 16 << 20;

    public static IEnumerable<DnsPacket> Read(Stream stream, CaptureReadStatistics stats, string input, IProgress<long>? progress = null, CancellationToken cancellation = default)
    {
        var magic = new byte[4];
        if (ReadFully(stream, magic) < 4) throw new InvalidDataException($"'{input}' is too short to be a pcap or pcapng file");
        var value = BinaryPrimitives.ReadUInt32LittleEndian(magic);
        return value switch
        {
            0x0A0D0D0A => ReadPcapNg(stream, magic, stats, input, progress, cancellation),
            0xA1B2C3D4 or 0xD4C3B2A1 or 0xA1B23C4D or 0x4D3CB2A1 => ReadPcap(stream, magic, stats, input, progress, cancellation),
            _ => throw new InvalidDataException($"'{input}' is not a pcap or pcapng file (it starts with 0x{value:X8})"),
        };
    }

    private static IEnumerable<DnsPacket> ReadPcap(Stream stream, byte[] magic, CaptureReadStatistics stats, string input, IProgress<long>? progress, CancellationToken cancellation)
    {
        var bigEndian = magic[0] == 0xA1;
        var nanoseconds = (magic[0] == 0xA1 && magic[2] == 0x3C) || (magic[0] == 0x4D);
        var header = new byte[20];
        if (ReadFully(stream, header) < 20) throw new InvalidDataException($"'{input}': the pcap file header is cut off");
        var linkType = (int)(U32(header.AsSpan(16), bigEndian) & 0x0FFFFFFF);
        var record = new byte[16];
        long packet = 0, offset = 24;
        while (true)
        {
            cancellation.ThrowIfCancellationRequested();
            var got = ReadFully(stream, record);
            if (got == 0) yield break;
            if (got < 16) { stats.SkippedTruncated++; yield break; }
            packet++;
            var seconds = U32(record, bigEndian);
            var fraction = U32(record.AsSpan(4), bigEndian);
            var captured = U32(record.AsSpan(8), bigEndian);
            if (captured > MaxBlockBytes) throw new InvalidDataException($"'{input}': packet {packet} claims {captured} bytes; the file is damaged");
            var data = new byte[captured];
            if (ReadFully(stream, data) < captured) { stats.SkippedTruncated++; yield break; }
            offset += 16 + captured;
            progress?.Report(offset);
            stats.PacketsRead++;
            var ticks = nanoseconds ? fraction / 100 : fraction * 10L;
            var time = DateTime.UnixEpoch.AddSeconds(seconds).AddTicks(ticks);
            var dns = Decode(linkType, data, time, $"{input}:packet {packet}", stats);
            if (dns is not null) yield return dns;
        }
    }

    private static IEnumerable<DnsPacket> ReadPcapNg(Stream stream, byte[] firstType, CaptureReadStatistics stats, string input, IProgress<long>? progress, CancellationToken cancellation)
    {
        var interfaces = new List<(int LinkType, long UnitsPerSecond)>();
        var bigEndian = false;
        var typeBytes = firstType;
        long packet = 0, offset = 0;
        var head = new byte[8];
        while (true)
        {
            cancellation.ThrowIfCancellationRequested();
            byte[] lengthBytes;
            if (typeBytes is null)
            {
                var got = ReadFully(stream, head);
                if (got == 0) yield break;
                if (got < 8) { stats.SkippedTruncated++; yield break; }
                typeBytes = head[..4];
                lengthBytes = head[4..8];
            }
            else
            {
                lengthBytes = new byte[4];
                if (ReadFully(stream, lengthBytes) < 4) { stats.SkippedTruncated++; yield break; }
            }
            var type = BinaryPrimitives.ReadUInt32LittleEndian(typeBytes);
            typeBytes = null;
            if (type == 0x0A0D0D0A)
            {
                // Section header: its byte-order magic decides how the rest of the section is read.
                var bom = new byte[4];
                if (ReadFully(stream, bom) < 4) { stats.SkippedTruncated++; yield break; }
                bigEndian = bom[0] == 0x1A;
                var sectionLength = U32(lengthBytes, bigEndian);
                if (sectionLength < 28 || sectionLength > MaxBlockBytes) throw new InvalidDataException($"'{input}': section header block of {sectionLength} bytes; the file is damaged");
                if (!Skip(stream, sectionLength - 12)) { stats.SkippedTruncated++; yield break; }
                interfaces.Clear();
                offset += sectionLength;
                continue;
            }
            var length = U32(lengthBytes, bigEndian);
            if (length < 12 || length > MaxBlockBytes || length % 4 != 0) throw new InvalidDataException($"'{input}': block of {length} bytes at offset {offset}; the file is damaged");
            var body = new byte[length - 8];
            if (ReadFully(stream, body) < body.Length) { stats.SkippedTruncated++; yield break; }
            offset += length;
            progress?.Report(offset);
            type = bigEndian ? BinaryPrimitives.ReverseEndianness(type) : type;
            switch (type)
            {
                case 1: // Interface description: link type, and if_tsresol among the options.
                {
                    var linkType = U16(body, bigEndian);
                    long? unitsPerSecond = 1_000_000L;
                    var o = 8;
                    while (o + 4 <= body.Length - 4)
                    {
                        var code = U16(body.AsSpan(o), bigEndian);
                        var optionLength = U16(body.AsSpan(o + 2), bigEndian);
                        if (code == 0) break;
                        if (code == 9 && optionLength >= 1 && o + 4 < body.Length) unitsPerSecond = TimestampUnitsPerSecond(body[o + 4]);
                        o += 4 + ((optionLength + 3) & ~3);
                    }
                    // An impossible resolution (10^19 and up, 2^63 and up) leaves the interface unusable: its packets are counted as malformed.
                    interfaces.Add((linkType, unitsPerSecond ?? 0));
                    break;
                }
                case 6: // Enhanced packet.
                {
                    if (body.Length < 20) { stats.SkippedMalformed++; break; }
                    packet++;
                    stats.PacketsRead++;
                    // Interface id and captured length are unsigned 32-bit fields: compared as such, never cast to int first.
                    var id = U32(body, bigEndian);
                    var timestamp = ((ulong)U32(body.AsSpan(4), bigEndian) << 32) | U32(body.AsSpan(8), bigEndian);
                    var captured = U32(body.AsSpan(12), bigEndian);
                    if (id >= (uint)interfaces.Count) { stats.SkippedMalformed++; break; }
                    if (captured > (uint)(body.Length - 20)) { stats.SkippedTruncated++; break; }
                    var (linkType, unitsPerSecond) = interfaces[(int)id];
                    if (!TryTimestamp(timestamp, unitsPerSecond, out var time)) { stats.SkippedMalformed++; break; }
                    var dns = Decode(linkType, body.AsSpan(20, (int)captured).ToArray(), time, $"{input}:packet {packet}", stats);
                    if (dns is not null) yield return dns;
                    break;
                }
                case 3: // Simple packet: no timestamp; interface 0.
                    packet++;
                    stats.PacketsRead++;
                    stats.SkippedMalformed++;
                    break;
                default:
                    break; // Name resolution, statistics, custom blocks: nothing for us.
            }
        }
    }

    /// <summary>
    /// Link layer to DNS message; null (and a count) when the packet is not DNS on port 53. This is the
    /// boundary for one packet's bytes: PacketDotNet decodes lazily (a bad IP, UDP or TCP header throws
    /// later, from Extract, SourcePort or PayloadData), so everything it touches runs inside one catch
    /// and a bad packet skips that packet only.
    /// </summary>
    internal static DnsPacket? Decode(int linkType, byte[] data, DateTime time, string origin, CaptureReadStatistics stats)
    {
        if (!Enum.IsDefined(typeof(LinkLayers), (LinkLayers)linkType))
        {
            stats.SkippedUnsupportedLinkType++;
            return null;
        }
        DecodedTransport? decoded;
        try
        {
            decoded = DecodeTransport(linkType, data, stats);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // Whatever PacketDotNet throws on a damaged header (IndexOutOfRange, ArgumentOutOfRange, InvalidOperation, ...).
            stats.SkippedMalformed++;
            return null;
        }
        if (decoded is not { } t) return null;
        DnsMessage message;
        try
        {
            message = DnsWire.Parse(t.Payload);
        }
        catch (DnsFormatException)
        {
            stats.SkippedMalformed++;
            return null;
        }
        stats.DnsMessages++;
        var h = message.Header;
        var flags = h.IsResponse
            ? (h.Flags & 0x0400) != 0 ? "*" : string.Empty
            : (h.RecursionDesired ? "+" : string.Empty) + (h.AuthenticData ? "%" : string.Empty) + (message.HasEdns ? " [1au]" : string.Empty);
        if (h.IsResponse && (h.Flags & 0x0080) == 0) flags += "-";
        return new DnsPacket
        {
            Timestamp = time,
            SourceHost = t.Source,
            SourcePort = t.SourcePort,
            DestinationHost = t.Destination,
            DestinationPort = t.DestinationPort,
            Transport = t.Transport,
            Id = h.Id,
            IsResponse = h.IsResponse,
            Name = message.QuestionName,
            Type = TypeName(message.QuestionType),
            Rcode = h.IsResponse ? h.Rcode.ToString() : null,
            AnswerCount = h.AnswerCount,
            Truncated = h.Truncated,
            Size = t.Payload.Length,
            Flags = flags + (h.Truncated ? "|" : string.Empty),
            Origin = origin,
        };
    }

    private readonly record struct DecodedTransport(string Source, int SourcePort, string Destination, int DestinationPort, string Transport, byte[] Payload);

    /// <summary>The IP addresses, ports and DNS payload of a packet; null (counted) when it is not DNS. May throw on damaged headers.</summary>
    private static DecodedTransport? DecodeTransport(int linkType, byte[] data, CaptureReadStatistics stats)
    {
        var parsed = Packet.ParsePacket((LinkLayers)linkType, data);
        if (!IpHeaderSound(parsed)) { stats.SkippedMalformed++; return null; }
        // A chain of layers that goes on past the bound is damage (counted as malformed), not DNS.
        if (!TryFind<IPPacket>(parsed, out var ip)) { stats.SkippedMalformed++; return null; }
        if (ip is null) { stats.SkippedNotDns++; return null; }
        TcpPacket? tcpFound = null;
        if (!TryFind<UdpPacket>(ip, out var udpFound) || (udpFound is null && !TryFind(ip, out tcpFound)))
        {
            stats.SkippedMalformed++;
            return null;
        }
        byte[]? payload;
        int sourcePort, destinationPort;
        string transport;
        if (udpFound is { } udp)
        {
            sourcePort = udp.SourcePort;
            destinationPort = udp.DestinationPort;
            if (sourcePort != 53 && destinationPort != 53) { stats.SkippedNotDns++; return null; }
            payload = udp.PayloadData;
            transport = "UDP";
        }
        else if (tcpFound is { } tcp)
        {
            sourcePort = tcp.SourcePort;
            destinationPort = tcp.DestinationPort;
            if (sourcePort != 53 && destinationPort != 53) { stats.SkippedNotDns++; return null; }
            transport = "TCP";
            var segment = tcp.PayloadData;
            if (segment is null || segment.Length == 0) { return null; } // handshakes and ACKs: not DNS messages
            // DNS over TCP: a 2-byte length, then the message; only messages within one segment are read.
            var length = segment.Length >= 2 ? BinaryPrimitives.ReadUInt16BigEndian(segment) : -1;
            if (length < 0 || segment.Length < length + 2) { stats.SkippedTruncated++; return null; }
            payload = segment.AsSpan(2, length).ToArray();
        }
        else
        {
            stats.SkippedNotDns++;
            return null;
        }
        if (payload is null || payload.Length == 0) { stats.SkippedTruncated++; return null; }
        return new DecodedTransport(ip.SourceAddress.ToString(), sourcePort, ip.DestinationAddress.ToString(), destinationPort, transport, payload);
    }

    /// <summary>Layers a real packet nests (link, VLAN tags, IP, tunnels, transport) stay well under this.</summary>
    private const int MaxLayers = 12;

    /// <summary>
    /// PacketDotNet's Extract walks PayloadPacket without a bound; on a damaged IPv6 extension header (next header
    /// hop-by-hop over bytes that decode as IPv6 again) each layer's payload parses as another layer for ever (afl++
    /// found it: tests/fuzz/crashes/pcap). This walks at most <see cref="MaxLayers"/> layers: false past that.
    /// </summary>
    private static bool TryFind<T>(Packet start, out T? found) where T : Packet
    {
        found = null;
        var p = start;
        for (var depth = 0; depth < MaxLayers; depth++)
        {
            if (p is null) return true;
            if (p is T t) { found = t; return true; }
            p = p.PayloadPacket;
        }
        return false;
    }

    /// <summary>
    /// Checks the outermost IPv4 header before PacketDotNet decodes what it carries: with an IHL below 5 (a header
    /// shorter than its 20 fixed bytes) and IP-in-IP as the protocol, PacketDotNet's IPPacket.ParseNextSegment parses
    /// the same bytes as the inner packet again and never returns (found by fuzzing: tests/fuzz/crashes/pcap). Only
    /// the link layers' payload getters run here, not the IP packet's own.
    /// </summary>
    private static bool IpHeaderSound(Packet parsed)
    {
        var p = parsed;
        for (var depth = 0; depth < 4 && p is not null; depth++)
        {
            if (p is IPv4Packet v4) return v4.HeaderLength >= 5 && v4.HeaderLength * 4 <= v4.Bytes.Length;
            if (p is IPPacket) return true;
            p = p.PayloadPacket;
        }
        return true;
    }

    /// <summary>if_tsresol (pcapng): units per second, or null when the resolution cannot be held in 64 bits.</summary>
    internal static long? TimestampUnitsPerSecond(byte resolution)
    {
        var exponent = resolution & 0x7F;
        if ((resolution & 0x80) != 0) return exponent <= 62 ? 1L << exponent : null;
        if (exponent > 18) return null;
        var units = 1L;
        for (var i = 0; i < exponent; i++) units *= 10;
        return units;
    }

    /// <summary>A pcapng timestamp as a time; false when it lies outside what DateTime holds (a damaged or hostile block).</summary>
    internal static bool TryTimestamp(ulong timestamp, long unitsPerSecond, out DateTime time)
    {
        time = default;
        if (unitsPerSecond <= 0) return false;
        // seconds and the remainder separately: no intermediate product can overflow.
        var seconds = timestamp / (ulong)unitsPerSecond;
        var remainder = timestamp % (ulong)unitsPerSecond;
        var maxSeconds = (ulong)((DateTime.MaxValue - DateTime.UnixEpoch).Ticks / TimeSpan.TicksPerSecond);
        if (seconds >= maxSeconds) return false;
        var fractionTicks = (long)((UInt128)remainder * TimeSpan.TicksPerSecond / (ulong)unitsPerSecond);
        time = DateTime.UnixEpoch.AddTicks((long)seconds * TimeSpan.TicksPerSecond + fractionTicks);
        return true;
    }

    public static string TypeName(ushort type) => type switch
    {
        1 => "A",
        2 => "NS",
        5 => "CNAME",
        6 => "SOA",
        12 => "PTR",
        15 => "MX",
        16 => "TXT",
        28 => "AAAA",
        33 => "SRV",
        65 => "HTTPS",
        255 => "ANY",
        _ => type.ToString(System.Globalization.CultureInfo.InvariantCulture),
    };

    private static uint U32(ReadOnlySpan<byte> b, bool bigEndian) => bigEndian ? BinaryPrimitives.ReadUInt32BigEndian(b) : BinaryPrimitives.ReadUInt32LittleEndian(b);
    private static ushort U16(ReadOnlySpan<byte> b, bool bigEndian) => bigEndian ? BinaryPrimitives.ReadUInt16BigEndian(b) : BinaryPrimitives.ReadUInt16LittleEndian(b);

    private static int ReadFully(Stream s, byte[] buffer)
    {
        var total = 0;
        while (total < buffer.Length)
        {
            var n = s.Read(buffer, total, buffer.Length - total);
            if (n == 0) break;
            total += n;
        }
        return total;
    }

    private static bool Skip(Stream s, long count)
    {
        var buffer = new byte[Math.Min(count, 65536)];
        while (count > 0)
        {
            var n = s.Read(buffer, 0, (int)Math.Min(buffer.Length, count));
            if (n == 0) return false;
            count -= n;
        }
        return true;
    }
}
