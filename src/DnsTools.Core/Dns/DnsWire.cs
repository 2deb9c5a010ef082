using System.Buffers.Binary;
using System.Net;
using System.Text;

namespace DnsTools.Core.Dns;

/// <summary>DNS response codes (RFC 1035 §4.1.1).</summary>
[Newtonsoft.Json.JsonConverter(typeof(Newtonsoft.Json.Converters.StringEnumConverter))]
public enum DnsRcode
{
    NoError = 0,
    FormErr = 1,
    ServFail = 2,
    NxDomain = 3,
    NotImp = 4,
    Refused = 5,
}

/// <summary>The fixed 12-byte header.</summary>
public readonly record struct DnsHeader(ushort Id, ushort Flags, ushort QuestionCount, ushort AnswerCount, ushort AuthorityCount, ushort AdditionalCount)
{
    public bool IsResponse => (Flags & 0x8000) != 0;
    public int Opcode => (Flags >> 11) & 0xF;
    public bool Truncated => (Flags & 0x0200) != 0;
    public bool RecursionDesired => (Flags & 0x0100) != 0;
    public bool AuthenticData => (Flags & 0x0020) != 0;
    public DnsRcode Rcode => (DnsRcode)(Flags & 0xF);
}

/// <summary>A parsed message: header, first question, and whether an EDNS OPT record is present.</summary>
public sealed record DnsMessage(DnsHeader Header, string QuestionName, ushort QuestionType, ushort QuestionClass, bool HasEdns, int Size)
{
    public override string ToString()
        => $"id={Header.Id} {(Header.IsResponse ? "response " + Header.Rcode : "query")} {QuestionName} type {QuestionType}{(Header.Truncated ? " TC" : string.Empty)} an={Header.AnswerCount}";
}

/// <summary>Thrown for a message that is not valid DNS; says what is wrong and where.</summary>
public sealed class DnsFormatException : FormatException
{
    public DnsFormatException(string message) : base(message) { }
}

/// <summary>
/// Reads and writes DNS messages byte by byte. Written by hand rather than with DnsClient: the replay
/// must control every byte of a query (flags, id, no EDNS OPT unless the modelled libc adds one), and
/// the lab server must write deliberately odd answers (SERVFAIL, TC with no records); DnsClient's
/// reader and writer are internal and it always adds its own OPT record.
/// </summary>
public static class DnsWire
{
    public const ushort TypeA = 1, TypeAaaa = 28, TypeOpt = 41, ClassIn = 1;

    /// <summary>The largest DNS name on the wire (RFC 1035 §2.3.4).</summary>
    public const int MaxNameLength = 255;

    /// <summary>
    /// A standard query with one question, RD set, as musl's __res_mkquery and glibc's res_nmkquery
    /// build it; optionally an EDNS0 OPT record (glibc with "options edns0", Go always).
    /// </summary>
    public static byte[] BuildQuery(ushort id, string name, ushort type, bool recursionDesired = true, bool authenticData = false, ushort? ednsUdpSize = null)
    {
        var buffer = new List<byte>(64);
        ushort flags = 0;
        if (recursionDesired) flags |= 0x0100;
        if (authenticData) flags |= 0x0020;
        WriteHeader(buffer, new DnsHeader(id, flags, 1, 0, 0, (ushort)(ednsUdpSize is null ? 0 : 1)));
        WriteName(buffer, name);
        WriteUInt16(buffer, type);
        WriteUInt16(buffer, ClassIn);
        if (ednsUdpSize is { } size) WriteOpt(buffer, size);
        return buffer.ToArray();
    }

    /// <summary>
    /// A response to <paramref name="query"/>: its id and question echoed, QR and RA set, RD copied,
    /// the rcode, and one record per address of the asked type (TTL 30).
    /// </summary>
    public static byte[] BuildResponse(DnsMessage query, DnsRcode rcode, IReadOnlyList<IPAddress> answers, bool truncated = false)
    {
        var buffer = new List<byte>(128);
        var flags = (ushort)(0x8000 | 0x0080 | (query.Header.Flags & 0x0100) | (int)rcode);
        if (truncated) flags |= 0x0200;
        WriteHeader(buffer, new DnsHeader(query.Header.Id, flags, 1, (ushort)answers.Count, 0, 0));
        var questionOffset = buffer.Count;
        WriteName(buffer, query.QuestionName);
        WriteUInt16(buffer, query.QuestionType);
        WriteUInt16(buffer, query.QuestionClass);
        foreach (var address in answers)
        {
            var bytes = address.GetAddressBytes();
            // A compression pointer to the question's name (RFC 1035 §4.1.4).
            WriteUInt16(buffer, (ushort)(0xC000 | questionOffset));
            WriteUInt16(buffer, bytes.Length == 4 ? TypeA : TypeAaaa);
            WriteUInt16(buffer, ClassIn);
            buffer.AddRange(new byte[] { 0, 0, 0, 30 });
            WriteUInt16(buffer, (ushort)bytes.Length);
            buffer.AddRange(bytes);
        }
        return buffer.ToArray();
    }

    /// <summary>Parses header and first question; counts records to find an OPT. Throws <see cref="DnsFormatException"/> on malformed input.</summary>
    public static DnsMessage Parse(ReadOnlySpan<byte> message)
    {
        if (message.Length < 12) throw new DnsFormatException($"message is {message.Length} bytes, shorter than the 12-byte DNS header");
        var header = new DnsHeader(
            BinaryPrimitives.ReadUInt16BigEndian(message),
            BinaryPrimitives.ReadUInt16BigEndian(message[2..]),
            BinaryPrimitives.ReadUInt16BigEndian(message[4..]),
            BinaryPrimitives.ReadUInt16BigEndian(message[6..]),
            BinaryPrimitives.ReadUInt16BigEndian(message[8..]),
            BinaryPrimitives.ReadUInt16BigEndian(message[10..]));
        var offset = 12;
        string name = string.Empty;
        ushort type = 0, @class = 0;
        if (header.QuestionCount > 0)
        {
            name = ReadName(message, ref offset);
            if (offset + 4 > message.Length) throw new DnsFormatException($"question for '{name}' is cut off at byte {offset}");
            type = BinaryPrimitives.ReadUInt16BigEndian(message[offset..]);
            @class = BinaryPrimitives.ReadUInt16BigEndian(message[(offset + 2)..]);
            offset += 4;
            for (var q = 1; q < header.QuestionCount; q++)
            {
                ReadName(message, ref offset);
                offset += 4;
            }
        }
        var hasEdns = false;
        var records = header.AnswerCount + header.AuthorityCount + header.AdditionalCount;
        for (var r = 0; r < records && offset < message.Length; r++)
        {
            ReadName(message, ref offset);
            if (offset + 10 > message.Length) throw new DnsFormatException($"record {r + 1} is cut off at byte {offset}");
            var rrType = BinaryPrimitives.ReadUInt16BigEndian(message[offset..]);
            var length = BinaryPrimitives.ReadUInt16BigEndian(message[(offset + 8)..]);
            offset += 10 + length;
            if (offset > message.Length) throw new DnsFormatException($"record {r + 1} claims {length} data bytes past the end of the message");
            if (rrType == TypeOpt) hasEdns = true;
        }
        return new DnsMessage(header, name, type, @class, hasEdns, message.Length);
    }

    /// <summary>Addresses in the answer section (A and AAAA records only).</summary>
    public static IReadOnlyList<IPAddress> ReadAddresses(ReadOnlySpan<byte> message)
    {
        var parsed = Parse(message);
        var offset = 12;
        for (var q = 0; q < parsed.Header.QuestionCount; q++)
        {
            ReadName(message, ref offset);
            offset += 4;
        }
        var result = new List<IPAddress>();
        for (var r = 0; r < parsed.Header.AnswerCount; r++)
        {
            ReadName(message, ref offset);
            var rrType = BinaryPrimitives.ReadUInt16BigEndian(message[offset..]);
            var length = BinaryPrimitives.ReadUInt16BigEndian(message[(offset + 8)..]);
            offset += 10;
            if ((rrType == TypeA && length == 4) || (rrType == TypeAaaa && length == 16))
                result.Add(new IPAddress(message.Slice(offset, length)));
            offset += length;
        }
        return result;
    }

    private static void WriteHeader(List<byte> b, DnsHeader h)
    {
        WriteUInt16(b, h.Id);
        WriteUInt16(b, h.Flags);
        WriteUInt16(b, h.QuestionCount);
        WriteUInt16(b, h.AnswerCount);
        WriteUInt16(b, h.AuthorityCount);
        WriteUInt16(b, h.AdditionalCount);
    }

    private static void WriteOpt(List<byte> b, ushort udpSize)
    {
        b.Add(0); // root name
        WriteUInt16(b, TypeOpt);
        WriteUInt16(b, udpSize);
        b.AddRange(new byte[] { 0, 0, 0, 0 }); // extended rcode, version 0, flags
        WriteUInt16(b, 0); // no options
    }

    /// <summary>
    /// Whether <see cref="WriteName"/> can put the name in a query: every label 1 to 63 bytes, at most 255 bytes
    /// on the wire. The resolver models ask this before a candidate is queried, as the libcs' query builders refuse
    /// the same names (musl res_mkquery.c, glibc ns_name_pton via res_mkquery, Go dnsmessage Name.pack).
    /// </summary>
    public static bool CanEncodeName(string name)
    {
        var trimmed = name.EndsWith('.') ? name[..^1] : name;
        if (trimmed.Length == 0) return true;
        var wire = 1;
        foreach (var label in trimmed.Split('.'))
        {
            var bytes = Encoding.ASCII.GetByteCount(label);
            if (bytes is 0 or > 63) return false;
            wire += bytes + 1;
        }
        return wire <= MaxNameLength;
    }

    /// <summary>Writes a name as labels; a trailing dot is optional. Throws for labels over 63 bytes or names over 255.</summary>
    public static void WriteName(List<byte> b, string name)
    {
        var trimmed = name.EndsWith('.') ? name[..^1] : name;
        var start = b.Count;
        if (trimmed.Length > 0)
        {
            foreach (var label in trimmed.Split('.'))
            {
                var bytes = Encoding.ASCII.GetBytes(label);
                if (bytes.Length is 0 or > 63) throw new DnsFormatException($"'{name}' has a label of {bytes.Length} bytes (1 to 63 allowed)");
                b.Add((byte)bytes.Length);
                b.AddRange(bytes);
            }
        }
        b.Add(0);
        if (b.Count - start > MaxNameLength) throw new DnsFormatException($"'{name}' is longer than {MaxNameLength} bytes on the wire");
    }

    /// <summary>Reads a possibly compressed name as "a.b.c." (root is "."). Pointer loops and overlong names are errors.</summary>
    public static string ReadName(ReadOnlySpan<byte> message, ref int offset)
    {
        var sb = new StringBuilder();
        var position = offset;
        var jumped = false;
        var jumps = 0;
        var wireLength = 0;
        while (true)
        {
            if (position >= message.Length) throw new DnsFormatException($"name runs past the end of the message at byte {position}");
            var length = message[position];
            if ((length & 0xC0) == 0xC0)
            {
                if (position + 1 >= message.Length) throw new DnsFormatException($"compression pointer cut off at byte {position}");
                if (++jumps > 64) throw new DnsFormatException("compression pointers loop");
                var target = ((length & 0x3F) << 8) | message[position + 1];
                if (!jumped) offset = position + 2;
                jumped = true;
                position = target;
                continue;
            }
            if ((length & 0xC0) != 0) throw new DnsFormatException($"label type 0x{length:X2} at byte {position} is not supported");
            position++;
            if (length == 0) break;
            if (position + length > message.Length) throw new DnsFormatException($"label at byte {position - 1} runs past the end of the message");
            wireLength += length + 1;
            if (wireLength > MaxNameLength) throw new DnsFormatException($"name longer than {MaxNameLength} bytes");
            sb.Append(Encoding.ASCII.GetString(message.Slice(position, length))).Append('.');
            position += length;
        }
        if (!jumped) offset = position;
        return sb.Length == 0 ? "." : sb.ToString();
    }

    private static void WriteUInt16(List<byte> b, ushort value)
    {
        b.Add((byte)(value >> 8));
        b.Add((byte)value);
    }
}
