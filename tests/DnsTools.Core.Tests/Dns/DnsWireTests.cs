using System.Net;
using DnsTools.Core.Dns;

namespace DnsTools.Core.Tests.Dns;

public class DnsWireTests
{
    [Fact]
    public void A_query_is_the_bytes_RFC_1035_prescribes()
    {
        // id 0x1234, RD, one question "a.example." type A class IN, nothing else (no OPT).
        var bytes = DnsWire.BuildQuery(0x1234, "a.example.", DnsWire.TypeA);
        var expected = new byte[] { 0x12, 0x34, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0, 1, (byte)'a', 7, (byte)'e', (byte)'x', (byte)'a', (byte)'m', (byte)'p', (byte)'l', (byte)'e', 0, 0, 1, 0, 1 };
        Assert.Equal(expected, bytes);
    }

    [Fact]
    public void Edns_adds_one_OPT_record_with_the_udp_size()
    {
        var bytes = DnsWire.BuildQuery(1, "a.example", DnsWire.TypeAaaa, ednsUdpSize: 1232);
        var m = DnsWire.Parse(bytes);
        Assert.True(m.HasEdns);
        Assert.Equal(1, m.Header.AdditionalCount);
        Assert.Equal(new byte[] { 0, 0, 41, 0x04, 0xD0, 0, 0, 0, 0, 0, 0 }, bytes[^11..]);
        Assert.False(DnsWire.Parse(DnsWire.BuildQuery(1, "a.example", DnsWire.TypeAaaa)).HasEdns);
    }

    [Fact]
    public void A_response_echoes_id_and_question_and_carries_the_addresses()
    {
        var query = DnsWire.Parse(DnsWire.BuildQuery(7, "svc.example.", DnsWire.TypeAaaa));
        var bytes = DnsWire.BuildResponse(query, DnsRcode.NoError, new[] { IPAddress.Parse("2001:db8::1") });
        var m = DnsWire.Parse(bytes);
        Assert.True(m.Header.IsResponse);
        Assert.True(m.Header.RecursionDesired);
        Assert.Equal((ushort)7, m.Header.Id);
        Assert.Equal("svc.example.", m.QuestionName);
        Assert.Equal(IPAddress.Parse("2001:db8::1"), Assert.Single(DnsWire.ReadAddresses(bytes)));

        var servfail = DnsWire.Parse(DnsWire.BuildResponse(query, DnsRcode.ServFail, Array.Empty<IPAddress>(), truncated: true));
        Assert.Equal(DnsRcode.ServFail, servfail.Header.Rcode);
        Assert.True(servfail.Header.Truncated);
    }

    [Theory]
    [InlineData(new byte[] { 0, 1, 2 }, "shorter than the 12-byte")]
    [InlineData(new byte[] { 0, 1, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 5, (byte)'a' }, "past the end")]
    [InlineData(new byte[] { 0, 1, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0xC0, 12, 0, 1, 0, 1 }, "loop")]
    [InlineData(new byte[] { 0, 1, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0x80, 0 }, "label type")]
    [InlineData(new byte[] { 0, 1, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 1, (byte)'a', 0, 0 }, "cut off")]
    public void Malformed_messages_raise_a_format_error_that_says_what_is_wrong(byte[] message, string expected)
    {
        var e = Assert.Throws<DnsFormatException>(() => DnsWire.Parse(message));
        Assert.Contains(expected, e.Message);
    }

    [Fact]
    public void Names_longer_than_the_protocol_allows_are_refused()
    {
        Assert.Throws<DnsFormatException>(() => DnsWire.BuildQuery(1, new string('a', 64) + ".example", DnsWire.TypeA));
        var longName = string.Join('.', Enumerable.Repeat(new string('a', 60), 5));
        Assert.Throws<DnsFormatException>(() => DnsWire.BuildQuery(1, longName, DnsWire.TypeA));
    }
}
