using DnsTools.Core.Capture;

namespace DnsTools.Core.Tests.Capture;

/// <summary>A long capture is processed as a stream: results come out while the input is still being read.</summary>
public class StreamingTests
{
    private static IEnumerable<DnsPacket> Traffic(int seconds, Action<TimeSpan> reading)
    {
        var start = new DateTime(2026, 1, 1);
        for (var i = 0; i < seconds * 10; i++)
        {
            var at = start.AddMilliseconds(i * 100);
            reading(at - start);
            var port = 40000 + i % 1000;
            yield return new DnsPacket { Timestamp = at, SourceHost = "10.0.0.5", SourcePort = port, DestinationHost = "10.96.0.10", DestinationPort = 53, Id = (ushort)i, IsResponse = false, Name = $"n{i}.example.", Type = "A", Origin = "gen" };
            yield return new DnsPacket { Timestamp = at.AddMilliseconds(1), SourceHost = "10.96.0.10", SourcePort = 53, DestinationHost = "10.0.0.5", DestinationPort = port, Id = (ushort)i, IsResponse = true, Name = $"n{i}.example.", Type = "A", Rcode = "NoError", AnswerCount = 1, Origin = "gen" };
        }
    }

    [Fact]
    public void Queries_and_lookups_are_emitted_while_the_capture_is_still_being_read()
    {
        var readUpTo = TimeSpan.Zero;
        using var queries = CaptureAnalyzer.Pair(Traffic(600, t => readUpTo = t)).GetEnumerator();
        Assert.True(queries.MoveNext());
        // The first query comes out once it is older than the pairing window, long before the 10 minutes end.
        Assert.InRange(readUpTo, CaptureAnalyzer.PairingWindow, CaptureAnalyzer.PairingWindow + TimeSpan.FromSeconds(1));
        Assert.Equal(1, queries.Current.Index);

        readUpTo = TimeSpan.Zero;
        using var lookups = CaptureAnalyzer.Lookups(CaptureAnalyzer.Pair(Traffic(600, t => readUpTo = t))).GetEnumerator();
        Assert.True(lookups.MoveNext());
        Assert.True(readUpTo < TimeSpan.FromMinutes(1), $"first lookup only after reading {readUpTo}");
        var count = 1;
        while (lookups.MoveNext()) count++;
        Assert.Equal(6000, count);
    }
}
