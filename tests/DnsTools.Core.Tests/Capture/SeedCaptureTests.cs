using DnsTools.Core.Capture;
using DnsTools.Core.Diagnosis;

namespace DnsTools.Core.Tests.Capture;

/// <summary>The incident report's own tcpdump text (shared/seed/incident-report.zh.txt), fed in as is.</summary>
public class SeedCaptureTests
{
    private static (IReadOnlyList<ObservedQuery> Queries, IReadOnlyList<ObservedLookup> Lookups, CaptureReadStatistics Stats) Read(string file)
    {
        var lines = File.ReadAllLines(Path.Combine(AppContext.BaseDirectory, "Capture", "data", file));
        var stats = new CaptureReadStatistics();
        var queries = CaptureAnalyzer.Pair(TcpdumpTextReader.Read(lines, stats, file)).ToList();
        var lookups = CaptureAnalyzer.Lookups(queries).ToList();
        return (queries, lookups, stats);
    }

    [Fact]
    public void Alpine_capture_is_musl_with_three_nxdomain_candidates_and_an_aaaa_servfail_storm()
    {
        var (queries, lookups, stats) = Read("seed-alpine-musl.txt");
        Assert.Equal(35, stats.DnsMessages);
        Assert.Equal(0, stats.SkippedLines + stats.SkippedMalformed);

        // tcpdump's own reverse lookup (PTR, another port) is a lookup of its own.
        var ptr = Assert.Single(lookups, l => l.Queries.All(q => q.Type == "PTR"));
        var lookup = Assert.Single(lookups, l => l != ptr);
        Assert.Equal("elink.spic.com.cn.", lookup.Name);
        Assert.Equal(ObservedResolver.Musl, lookup.Resolver);

        // Three search candidates, each NXDOMAIN for A and AAAA (one AAAA query missing from the capture, its answer is there).
        var candidates = lookup.Queries.Where(q => q.Rcode == "NxDomain").Select(q => q.Name).Distinct().ToList();
        Assert.Equal(new[] { "elink.spic.com.cn.tke-test.svc.cluster.local.", "elink.spic.com.cn.svc.cluster.local.", "elink.spic.com.cn.cluster.local." }, candidates);
        Assert.Equal(6, lookup.Queries.Count(q => q.Rcode == "NxDomain"));

        // The bare name: A answered in about 10 ms; AAAA SERVFAIL after about 1.7 s, then sent 9 more times with the
        // same id and port: 4 immediate re-sends (res_msend.c's budget, 2 x 2 queries), the 2.5 s retry, 4 more re-sends.
        var a = Assert.Single(lookup.Queries, q => q.Name == "elink.spic.com.cn." && q.Type == "A");
        Assert.Equal("NoError", a.Rcode);
        Assert.InRange(a.Latency!.Value.TotalMilliseconds, 9, 11);
        var aaaa = lookup.Queries.Where(q => q.Name == "elink.spic.com.cn." && q.Type == "AAAA").ToList();
        Assert.Equal(10, aaaa.Count);
        Assert.All(aaaa, q => Assert.Equal((ushort)26917, q.Id));
        Assert.All(aaaa, q => Assert.Equal(56020, q.SourcePort));
        Assert.InRange(aaaa[0].Latency!.Value.TotalMilliseconds, 1680, 1690);
        Assert.Equal(8, aaaa.Count(q => q.Reason == QuerySendReason.ResendAfterServfail));
        var retry = Assert.Single(aaaa, q => q.Reason == QuerySendReason.RetryAfterTimeout);
        Assert.InRange((retry.SentAt - aaaa[0].SentAt).TotalMilliseconds, 2495, 2505);

        var codes = lookup.Diagnoses.Select(d => d.Code).ToList();
        Assert.Contains(LookupDiagnoser.SearchAmplification, codes);
        Assert.Contains(LookupDiagnoser.AaaaServfailResend, codes);
        Assert.DoesNotContain(LookupDiagnoser.LostParallelQuery, codes);
        var storm = lookup.Diagnoses.Single(d => d.Code == LookupDiagnoser.AaaaServfailResend);
        Assert.Contains("8 times", storm.Explanation);
        Assert.Contains(storm.Mitigations, m => m.Contains("musl ignores") || m.Contains("NodeLocal"));
        // The wire shows 2.5 s; musl's 5 s timeout explains the report's 5.07 s.
        Assert.Contains("5.00 s", lookup.Note);
    }

    [Fact]
    public void Centos_capture_is_glibc_one_aaaa_servfail_and_no_resends()
    {
        var (_, lookups, _) = Read("seed-centos-glibc.txt");
        var lookup = Assert.Single(lookups);
        Assert.Equal(ObservedResolver.Glibc, lookup.Resolver);
        Assert.Equal(8, lookup.Queries.Count);
        Assert.Equal(0, lookup.Queries.Count(q => q.Reason != QuerySendReason.FirstTry));
        var codes = lookup.Diagnoses.Select(d => d.Code).ToList();
        Assert.Equal(new[] { LookupDiagnoser.SearchAmplification, LookupDiagnoser.ServfailWait, LookupDiagnoser.SlowUpstream }.Except(new[] { LookupDiagnoser.SlowUpstream }), codes.Except(new[] { LookupDiagnoser.SlowUpstream }));
        var servfail = lookup.Diagnoses.Single(d => d.Code == LookupDiagnoser.ServfailWait);
        Assert.Contains("1.246 s", servfail.Title);
        Assert.InRange(lookup.Duration.TotalSeconds, 1.24, 1.26);
        Assert.Null(lookup.Note);
    }

    [Fact]
    public void Alpine_without_aaaa_sends_four_a_queries()
    {
        var (queries, lookups, _) = Read("seed-alpine-no-aaaa.txt");
        var lookup = Assert.Single(lookups);
        Assert.Equal(4, queries.Count);
        Assert.All(queries, q => Assert.Equal("A", q.Type));
        Assert.InRange(lookup.Duration.TotalMilliseconds, 1.9, 2.1);
        Assert.Equal(ObservedResolver.Unknown, lookup.Resolver);
        Assert.DoesNotContain(lookup.Diagnoses, d => d.Code is LookupDiagnoser.AaaaServfailResend or LookupDiagnoser.ServfailWait);
    }

    [Fact]
    public void Reads_the_newer_any_interface_format_with_addresses()
    {
        var lines = new[]
        {
            "10:00:00.000100 eth0 Out IP 10.244.1.7.40000 > 10.96.0.10.53: 100+ A? api.example. (29)",
            "10:00:00.000120 eth0 Out IP 10.244.1.7.40001 > 10.96.0.10.53: 101+ AAAA? api.example. (29)",
            "10:00:00.001100 eth0 In  IP 10.96.0.10.53 > 10.244.1.7.40000: 100 1/0/0 A 192.0.2.1 (45)",
            "10:00:00.001300 eth0 In  IP 10.96.0.10.53 > 10.244.1.7.40001: 101 0/1/0 (80)",
            "10:00:00.002000 IP6 fd00::7.40002 > fd00::a.53: 102+ [1au] A? other.example. (40)",
            "garbage",
        };
        var stats = new CaptureReadStatistics();
        var queries = CaptureAnalyzer.Pair(TcpdumpTextReader.Read(lines, stats)).ToList();
        Assert.Equal(1, stats.SkippedLines);
        Assert.Equal(3, queries.Count);
        Assert.Equal(("10.244.1.7", 40000, "10.96.0.10:53"), (queries[0].Client, queries[0].SourcePort, queries[0].Server));
        Assert.Equal("fd00::7", queries[2].Client);
        Assert.Contains("[1au]", queries[2].Flags);
        Assert.True(queries[2].TimedOut);
        var lookup = CaptureAnalyzer.Lookups(queries).First();
        Assert.Equal(ObservedResolver.Go, lookup.Resolver);
    }
}
