using System.Buffers.Binary;
using System.Net;
using DnsTools.Core.Dns;
using DnsTools.Core.Resolvers;
using DnsTools.Core.ResolvConf;

namespace DnsTools.Core.Probe;

/// <summary>
/// Which datagrams the modelled libc takes as the answer to a query it sent, so a stray or spoofed reply
/// changes the probe's outcome exactly where it would change the real libc's:
/// <list type="bullet">
/// <item>musl (src/network/res_msend.c, __res_msend_rc): an unconnected socket; a reply is dropped when it is
/// shorter than 4 bytes ("Ignore non-identifiable packets"), when its source sockaddr — family, port and address —
/// is none of the nameservers' (memcmp(ns+j, &amp;sa, sl): "Ignore replies from addresses we didn't send to"), or when
/// its first two bytes match no query's id. Nothing else is checked: not QR, not the question.</item>
/// <item>glibc (resolv/res_send.c, send_dg): the UDP socket is connect()ed to the server, so only datagrams from
/// that address and port arrive; a reply shorter than HFIXEDSZ (12) is dropped; it must carry one of the queries'
/// ids and pass __libc_res_queriesmatch (resolv/res_queriesmatch.c: the same question count, each question's name
/// (case-insensitive), type and class found in the query), else "Spurious UDP packet. Drop it and continue waiting".
/// No QR check was found there (UNVERIFIED by a run).</item>
/// <item>Go (src/net/dnsclient_unix.go): net.Dial("udp") connects the socket; dnsPacketRoundTrip skips what does not
/// parse and what fails checkResponse: QR set, the id, and the first question's type, class and name
/// (equalASCIIName, case-insensitive).</item>
/// <item>uClibc-ng (libc/inet/resolv.c, __dns_lookup): a new connect()ed socket per query; a reply shorter than 12
/// bytes, with another id or without QR is skipped; the question is not checked.</item>
/// </list>
/// TCP replies arrive on the connection to the server: id and question are checked as before.
/// </summary>
internal static class ReplyAcceptance
{
    /// <summary>Whether the reply's source is one the libc listens to (UDP; null for TCP).</summary>
    public static bool SourceAccepted(ResolverFamily family, IPEndPoint? from, IPEndPoint queryServer, IReadOnlyCollection<IPEndPoint> nameservers)
    {
        if (from is null) return true;
        var source = Normalize(from);
        return family == ResolverFamily.Musl
            ? nameservers.Any(ns => Normalize(ns).Equals(source))
            : Normalize(queryServer).Equals(source);
    }

    /// <summary>Whether the reply answers this query by the libc's checks on id, header and question.</summary>
    public static bool Matches(ResolverFamily family, byte[] reply, ushort id, string name, DnsQueryType type, bool overTcp)
    {
        if (reply.Length < 4 || BinaryPrimitives.ReadUInt16BigEndian(reply) != id) return false;
        if (family == ResolverFamily.Musl && !overTcp) return true;
        if (reply.Length < 12) return false;
        var qr = (reply[2] & 0x80) != 0;
        if (family == ResolverFamily.Go && !qr) return false;
        // uClibc-ng (libc/inet/resolv.c, __dns_lookup): a connected socket per query; "h.id != local_id || !h.qr" is a bogus
        // packet; the question is not checked ("TODO: check that question matches query").
        if (family == ResolverFamily.UClibcNg) return qr;
        var questions = BinaryPrimitives.ReadUInt16BigEndian(reply.AsSpan(4));
        if (questions != 1) return false; // glibc: the query's count (1); Go: a first question must parse
        try
        {
            var offset = 12;
            var asked = DnsWire.ReadName(reply, ref offset);
            if (offset + 4 > reply.Length) return false;
            var askedType = BinaryPrimitives.ReadUInt16BigEndian(reply.AsSpan(offset));
            var askedClass = BinaryPrimitives.ReadUInt16BigEndian(reply.AsSpan(offset + 2));
            return askedType == (ushort)type && askedClass == 1
                && string.Equals(asked.TrimEnd('.'), name.TrimEnd('.'), StringComparison.OrdinalIgnoreCase);
        }
        catch (DnsFormatException)
        {
            return false;
        }
    }

    /// <summary>
    /// What the model hears in an accepted reply. Its header decides (rcode, TC); a body that does not parse gives no
    /// answer records (the libcs find no address in it), so NOERROR counts as NODATA.
    /// </summary>
    public static (ServerResponseKind Kind, DnsRcode Rcode, int Answers, bool Truncated) Read(byte[] reply)
    {
        var rcode = (DnsRcode)(reply[3] & 0xF);
        var truncated = (reply[2] & 0x02) != 0;
        int answers;
        try
        {
            answers = DnsWire.Parse(reply).Header.AnswerCount;
        }
        catch (DnsFormatException)
        {
            answers = 0;
        }
        var kind = rcode switch
        {
            DnsRcode.NoError when truncated => ServerResponseKind.Truncated,
            DnsRcode.NoError when answers > 0 => ServerResponseKind.Answer,
            DnsRcode.NoError => ServerResponseKind.NoData,
            DnsRcode.NxDomain => ServerResponseKind.NxDomain,
            DnsRcode.ServFail => ServerResponseKind.ServFail,
            _ => ServerResponseKind.Refused,
        };
        return (kind, rcode, answers, truncated);
    }

    private static IPEndPoint Normalize(IPEndPoint ep)
        => ep.Address.IsIPv4MappedToIPv6 ? new IPEndPoint(ep.Address.MapToIPv4(), ep.Port) : ep;
}
