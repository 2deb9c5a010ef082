using DnsTools.Core.ResolvConf;

namespace DnsTools.Core.Tests.ResolvConf;

/// <summary>
/// Caps and defaults per resolver. Expected values come from the sources:
/// musl src/network/resolvconf.c (__get_resolv_conf: ndots ≤ 15, attempts ≤ 10, timeout ≤ 60; defaults 1/5/2);
/// glibc resolv/resolv.h (RES_MAXNDOTS 15, RES_MAXRETRANS 30, RES_MAXRETRY 5) and res_init.c (res_setoptions);
/// Go src/net/dnsconfig_unix.go (ndots clamped to 0..15, timeout and attempts at least 1, no cap).
/// </summary>
public class ResolverSettingsTests
{
    private static ResolvConfFile Parse(string text) => new(ResolvConfParser.Parse(text));

    private sealed record ResolvConfFile(DnsTools.Core.ResolvConf.ResolvConf Conf)
    {
        public ResolverSettings Musl => Conf.Musl;
        public ResolverSettings Glibc => Conf.Glibc;
        public ResolverSettings Go => Conf.Go;
    }

    [Fact]
    public void Defaults_when_the_file_says_nothing()
    {
        var f = Parse("");
        foreach (var s in new[] { f.Musl, f.Glibc, f.Go })
        {
            Assert.Equal((1, 5, 2), (s.Ndots, s.TimeoutSeconds, s.Attempts));
            Assert.True(s.UsesDefaultNameserver);
        }
        Assert.Equal(new[] { "127.0.0.1" }, f.Musl.Nameservers.Select(n => n.ToString()));
        Assert.Equal(new[] { "127.0.0.1" }, f.Glibc.Nameservers.Select(n => n.ToString()));
        Assert.Equal(new[] { "127.0.0.1", "::1" }, f.Go.Nameservers.Select(n => n.ToString()));
    }

    [Fact]
    public void Caps_differ_per_libc()
    {
        var f = Parse("options ndots:20 timeout:90 attempts:9\n");
        Assert.Equal((15, 60, 9), (f.Musl.Ndots, f.Musl.TimeoutSeconds, f.Musl.Attempts));
        Assert.Equal((15, 30, 5), (f.Glibc.Ndots, f.Glibc.TimeoutSeconds, f.Glibc.Attempts));
        Assert.Equal((15, 90, 9), (f.Go.Ndots, f.Go.TimeoutSeconds, f.Go.Attempts));

        f = Parse("options attempts:50\n");
        Assert.Equal(10, f.Musl.Attempts);
        Assert.Equal(5, f.Glibc.Attempts);
    }

    [Fact]
    public void Musl_reads_only_ndots_timeout_attempts()
    {
        var f = Parse("nameserver 10.96.0.10\noptions ndots:5 single-request-reopen rotate use-vc edns0 trust-ad no-aaaa\n");
        Assert.Equal(5, f.Musl.Ndots);
        Assert.False(f.Musl.SingleRequestReopen || f.Musl.Rotate || f.Musl.UseTcp || f.Musl.NoAaaa);
        Assert.Equal(new[] { "single-request-reopen", "rotate", "use-vc", "edns0", "trust-ad", "no-aaaa" }, f.Musl.IgnoredOptions);

        Assert.True(f.Glibc.SingleRequestReopen && f.Glibc.Rotate && f.Glibc.UseTcp && f.Glibc.Edns0 && f.Glibc.TrustAd && f.Glibc.NoAaaa);
        Assert.Empty(f.Glibc.IgnoredOptions);

        // Go: single-request-reopen means sequential queries; no-aaaa is unknown to it.
        Assert.True(f.Go.SingleRequest && f.Go.Rotate && f.Go.UseTcp);
        Assert.Equal(new[] { "no-aaaa" }, f.Go.IgnoredOptions);
    }

    [Fact]
    public void A_word_without_a_number_is_0_for_glibc_ignored_by_musl_and_floored_by_go()
    {
        var f = Parse("options ndots:x timeout:x attempts:x\n");
        Assert.Equal((1, 5, 2), (f.Musl.Ndots, f.Musl.TimeoutSeconds, f.Musl.Attempts));
        Assert.Equal((0, 0, 0), (f.Glibc.Ndots, f.Glibc.TimeoutSeconds, f.Glibc.Attempts));
        Assert.Equal((0, 1, 1), (f.Go.Ndots, f.Go.TimeoutSeconds, f.Go.Attempts));
    }

    [Fact]
    public void Musl_takes_the_first_occurrence_on_a_line_glibc_and_go_the_last()
    {
        var f = Parse("options ndots:2 ndots:3\n");
        Assert.Equal(2, f.Musl.Ndots);
        Assert.Equal(3, f.Glibc.Ndots);
        Assert.Equal(3, f.Go.Ndots);
        // A later options line overrides an earlier one for every reader.
        f = Parse("options ndots:2\noptions ndots:4\n");
        Assert.Equal(4, f.Musl.Ndots);
        Assert.Equal(4, f.Glibc.Ndots);
    }

    [Fact]
    public void Glibc_matches_options_by_prefix()
    {
        // res_setoptions compares with strncmp over the table entry's length.
        var f = Parse("options rotatefoo single-request-reopen\n");
        Assert.True(f.Glibc.Rotate);
        Assert.True(f.Glibc.SingleRequestReopen);
        Assert.False(f.Glibc.SingleRequest);
    }

    [Fact]
    public void Only_the_first_three_nameservers_are_used()
    {
        var f = Parse("nameserver 10.0.0.1\nnameserver bogus\nnameserver 10.0.0.2\nnameserver 10.0.0.3\nnameserver 10.0.0.4\n");
        foreach (var s in new[] { f.Musl, f.Glibc, f.Go })
            Assert.Equal(new[] { "10.0.0.1", "10.0.0.2", "10.0.0.3" }, s.Nameservers.Select(n => n.ToString()));
    }

    [Fact]
    public void Keywords_count_only_at_column_zero_for_the_libcs()
    {
        var f = Parse("  nameserver 10.0.0.9\n\toptions ndots:4\n");
        Assert.True(f.Musl.UsesDefaultNameserver);
        Assert.True(f.Glibc.UsesDefaultNameserver);
        Assert.Equal(1, f.Glibc.Ndots);
        Assert.Equal("10.0.0.9", Assert.Single(f.Go.Nameservers).ToString());
        Assert.Equal(4, f.Go.Ndots);
    }

    [Fact]
    public void Musl_reads_domain_like_search_glibc_takes_one_name()
    {
        var f = Parse("domain a.example b.example\n");
        Assert.Equal(new[] { "a.example", "b.example" }, f.Musl.Search);
        Assert.Equal(new[] { "a.example" }, f.Glibc.Search);
        Assert.Equal(new[] { "a.example" }, f.Go.Search);
    }

    [Fact]
    public void An_empty_search_line_clears_musl_but_not_glibc()
    {
        var f = Parse("search a.example\nsearch\n");
        Assert.Empty(f.Musl.Search);
        Assert.Equal(new[] { "a.example" }, f.Glibc.Search);
    }

    [Fact]
    public void Musl_skips_lines_that_do_not_fit_its_buffer()
    {
        var padding = new string(' ', 260);
        var f = Parse($"options ndots:3{padding}\n");
        Assert.Equal(1, f.Musl.Ndots);
        Assert.Equal(3, f.Glibc.Ndots);
    }
}
