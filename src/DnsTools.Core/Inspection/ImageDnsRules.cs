using DnsTools.Core.ResolvConf;

namespace DnsTools.Core.Inspection;

/// <summary>How much a finding matters; <see cref="None"/> is only a threshold (fail on nothing).</summary>
[Newtonsoft.Json.JsonConverter(typeof(Newtonsoft.Json.Converters.StringEnumConverter))]
public enum DnsRuleSeverity { None = 0, Info = 1, Warning = 2, Error = 3 }

/// <summary>One rule of the catalogue: a stable id, what it checks and how to fix what it finds.</summary>
public sealed class ImageDnsRule
{
    public const string HelpBase = "https://github.com/dnstools/DnsTools/blob/main/docs/rules/";

    public required string Id { get; init; }
    public required DnsRuleSeverity Severity { get; init; }
    public required string Title { get; init; }
    /// <summary>The behaviour behind the rule, with the libc source file it comes from.</summary>
    public required string Description { get; init; }
    public required string Remediation { get; init; }
    public string HelpUri => HelpBase + Id + ".md";
    internal Func<ImageDnsProfile, IEnumerable<(string Message, ImageEvidence? Evidence, string? Version)>> Check { get; init; } = _ => Array.Empty<(string, ImageEvidence?, string?)>();

    public override string ToString() => $"{Id} {Severity}: {Title}";
}

/// <summary>What one rule found in one image.</summary>
public sealed class ImageDnsFinding
{
    public required string Image { get; init; }
    public string? Platform { get; init; }
    public required string RuleId { get; init; }
    public required DnsRuleSeverity Severity { get; init; }
    public required string Title { get; init; }
    public required string Message { get; init; }
    /// <summary>Path in the image the finding rests on.</summary>
    public string? Path { get; init; }
    /// <summary>Digest of the layer that path came from.</summary>
    public string? Layer { get; init; }
    public int? LayerIndex { get; init; }
    /// <summary>The C library (or other) version the finding rests on.</summary>
    public string? Version { get; init; }
    public required string Remediation { get; init; }
    public required string HelpUri { get; init; }
    /// <summary>Set when an ignore file entry covers the finding: it stays in the report but no longer fails a gate.</summary>
    public bool Suppressed { get; set; }
    public string? SuppressionReason { get; set; }

    public override string ToString() => $"{Image}: {RuleId} {Severity}: {Message}";
}

/// <summary>The rule catalogue, evaluated over an <see cref="ImageDnsProfile"/>.</summary>
public static class ImageDnsRules
{
    private static readonly Version Musl1113 = new(1, 1, 13), Musl124 = new(1, 2, 4), Glibc236 = new(2, 36), Glibc29 = new(2, 9);

    public static IReadOnlyList<ImageDnsRule> All { get; } = new List<ImageDnsRule>
    {
        new()
        {
            Id = "DNS-MUSL-001", Severity = DnsRuleSeverity.Warning,
            Title = "musl resolver: A and AAAA in parallel on one socket; a SERVFAIL of either fails the lookup",
            Description = "musl's getaddrinfo sends A and AAAA together from one UDP socket and re-sends a query at once on SERVFAIL (src/network/res_msend.c). A candidate succeeds only when both answers are NOERROR or NXDOMAIN; an AAAA that keeps failing makes the whole lookup fail with EAI_AGAIN after the full timeout (5 s by default), even though A was answered (src/network/lookup_name.c). The search list is tried before the bare name when the name has fewer dots than ndots.",
            Remediation = "Make sure the cluster DNS answers AAAA (NODATA, not SERVFAIL or silence) for every name; lower ndots (dnsConfig options ndots:2) or use fully qualified names with a trailing dot; or move the image to a glibc base if the upstream cannot be fixed.",
            Check = p => p.Libc.Family == LibcFamily.Musl
                ? new[] { ($"The image resolves names with musl {p.Libc.Version ?? (p.Libc.Source == "static-binary" ? p.Libc.VersionText is { } range ? $"{range} (statically linked; the version from the message tables linked into it)" : "(statically linked, version unknown: the version rules DNS-MUSL-002 and DNS-MUSL-003 are not asserted)" : "(version unknown)")}: A and AAAA go out together on one socket and a SERVFAIL or lost AAAA fails the lookup after the timeout.", p.Libc.Evidence, p.Libc.Version) }
                : Array.Empty<(string, ImageEvidence?, string?)>(),
        },
        new()
        {
            Id = "DNS-MUSL-002", Severity = DnsRuleSeverity.Warning,
            Title = "musl before 1.2.4: no TCP fallback for truncated answers",
            Description = "Before musl 1.2.4 a UDP answer with the TC bit set is accepted as it is, cut to 512 bytes; the query is never retried over TCP (src/network/res_msend.c). Names with many addresses (large headless Services, CDN names) come back incomplete or fail to parse. musl 1.2.4 added the TCP fallback.",
            Remediation = "Upgrade to a base image with musl 1.2.4 or later (Alpine 3.18+), or keep answers under 512 bytes.",
            Check = p => p.Libc.Family == LibcFamily.Musl && p.Libc.IsBefore(Musl124)
                ? new[] { ($"musl {p.Libc.VersionText} has no TCP fallback: truncated answers are used as they are.", p.Libc.Evidence, p.Libc.Version) }
                : Array.Empty<(string, ImageEvidence?, string?)>(),
        },
        new()
        {
            Id = "DNS-MUSL-003", Severity = DnsRuleSeverity.Error,
            Title = "musl before 1.1.13: the search list and ndots are ignored",
            Description = "musl before 1.1.13 looks up only the name as given: the search and domain lines of resolv.conf and ndots have no effect (src/network/lookup_name.c, src/network/resolvconf.c). Kubernetes short names such as 'my-svc' or 'my-svc.my-namespace' do not resolve.",
            Remediation = "Upgrade the base image (Alpine 3.4 and later ship musl 1.1.14 or newer), or use fully qualified service names (my-svc.my-namespace.svc.cluster.local).",
            Check = p => p.Libc.Family == LibcFamily.Musl && p.Libc.IsBefore(Musl1113)
                ? new[] { ($"musl {p.Libc.VersionText} ignores the search list: short Kubernetes service names will not resolve.", p.Libc.Evidence, p.Libc.Version) }
                : Array.Empty<(string, ImageEvidence?, string?)>(),
        },
        new()
        {
            Id = "DNS-CONF-001", Severity = DnsRuleSeverity.Warning,
            Title = "resolv.conf options baked into the image that its resolver ignores",
            Description = "The image ships an /etc/resolv.conf with options its own C library does not act on: musl reads only ndots, timeout and attempts (src/network/resolvconf.c), so single-request, single-request-reopen, use-vc, rotate, edns0 and no-aaaa do nothing there; glibc ignores options it does not know (resolv/res_init.c). A fix that works for a glibc image is silently lost on musl.",
            Remediation = "Remove the ignored options, and fix the behaviour they were meant to fix where the resolver does act (for musl: ndots, timeout, attempts, or the DNS server's AAAA answers).",
            Check = ConfIgnored,
        },
        new()
        {
            Id = "DNS-CONF-002", Severity = DnsRuleSeverity.Info,
            Title = "The image ships its own /etc/resolv.conf",
            Description = "In a Kubernetes pod kubelet mounts its own /etc/resolv.conf over the image's, so what the image ships applies only outside Kubernetes (docker run without --dns, podman, build steps). Settings meant for pods belong in the pod's dnsConfig.",
            Remediation = "Put pod DNS settings in spec.dnsConfig; drop /etc/resolv.conf from the image unless it is needed outside Kubernetes.",
            Check = p => p.ResolvConfFile is { } f
                ? new[] { (f.IsDangling ? $"/etc/resolv.conf is a link to {f.LinkTarget}, which is not in the image." : "The image ships /etc/resolv.conf; kubelet replaces it in a pod.", (ImageEvidence?)f.Evidence, (string?)null) }
                : Array.Empty<(string, ImageEvidence?, string?)>(),
        },
        new()
        {
            Id = "DNS-GLIBC-001", Severity = DnsRuleSeverity.Info,
            Title = "glibc 2.36 or later: options no-aaaa is available",
            Description = "glibc 2.36 added the resolv.conf option no-aaaa: getaddrinfo then sends only A queries (resolv/nss_dns/dns-host.c, flag parsed in resolv/res_init.c). In an IPv4-only cluster this halves the queries and removes the AAAA SERVFAIL and timeout paths (resolv/res_send.c).",
            Remediation = "In an IPv4-only cluster, add dnsConfig options: [{name: no-aaaa}] to the pod spec.",
            Check = p => p.Libc.Family == LibcFamily.Glibc && p.Libc.AtLeastVersion is { } v && v >= Glibc236 && !(p.ResolvConf?.Glibc.NoAaaa ?? false)
                ? new[] { ($"glibc {p.Libc.Version ?? ">= " + p.Libc.MinimumVersion} supports options no-aaaa (A queries only) for IPv4-only clusters.", p.Libc.Evidence, p.Libc.Version) }
                : Array.Empty<(string, ImageEvidence?, string?)>(),
        },
        new()
        {
            Id = "DNS-GLIBC-002", Severity = DnsRuleSeverity.Info,
            Title = "glibc resolver: A and AAAA in parallel from one socket",
            Description = "Since glibc 2.9, getaddrinfo sends the A and the AAAA query back to back from one UDP socket, the same source port (resolv/res_send.c, send_dg). Behind a Service VIP that kube-proxy DNATs, two such packets can race in conntrack and one is dropped; glibc then waits out its timeout (5 s by default) before it re-sends. Unlike musl it still returns the other family's answer, so the lookup succeeds but late. options single-request-reopen sends the second query from a new socket after a failure, single-request sends them one after the other (RES_SNGLKUPREOP, RES_SNGLKUP in resolv/res_init.c).",
            Remediation = "If lookups take 5 s now and then, add dnsConfig options: [{name: single-request-reopen}] to the pod spec (or no-aaaa on glibc 2.36+ in an IPv4-only cluster), or run NodeLocal DNSCache; check with Test-PodDnsLatency -Resolver glibc-2.36 -Mitigation None, SingleRequestReopen.",
            Check = p => p.Libc.Family == LibcFamily.Glibc && (p.Libc.AtLeastVersion is not { } v || v >= Glibc29)
                ? new[] { ($"glibc {p.Libc.Version ?? (p.Libc.MinimumVersion is { } min ? ">= " + min : "(version unknown)")} sends A and AAAA in parallel from one socket" + (p.ResolvConf?.Glibc is { } g && (g.SingleRequest || g.SingleRequestReopen || g.NoAaaa) ? "; the image's own resolv.conf changes that, but in a pod kubelet's resolv.conf applies." : "."), p.Libc.Evidence, p.Libc.Version) }
                : Array.Empty<(string, ImageEvidence?, string?)>(),
        },
        new()
        {
            Id = "DNS-UCLIBC-001", Severity = DnsRuleSeverity.Warning,
            Title = "uClibc-ng resolver: one query at a time, AAAA first, search list without ndots, no TCP",
            Description = "uClibc-ng's getaddrinfo asks for AAAA, then A, each one query at a time from a new UDP socket (libc/inet/getaddrinfo.c, libc/inet/resolv.c __dns_lookup). It has no ndots: a name with a dot is tried as given first, then with each search domain; a name without a dot tries the search domains first. A SERVFAIL moves on to the next search domain like NXDOMAIN does, a NOERROR answer with no records ends that type's search at once, and a timeout moves to the next server and starts the search list again, up to attempts times per server. Of the options lines only the first option of each line is read, and only timeout and attempts (so 'options ndots:5 timeout:1' keeps the 5 s default). There is no TCP fallback: a truncated answer is used as far as it goes.",
            Remediation = "In a pod kubelet writes every option on one options line, so uClibc-ng keeps its defaults (5 s, 3 attempts): make the DNS server answer AAAA at once (NODATA, not silence), as a lost AAAA costs timeout x attempts before A is asked; use fully qualified names with a trailing dot for cluster services; keep answers under 512 bytes; or move the service to a musl 1.2.4+ or glibc base. Outside Kubernetes write options timeout:N and options attempts:N on lines of their own.",
            Check = p => p.Libc.Family == LibcFamily.UClibcNg || p.Entrypoint?.Resolver == EntrypointResolver.UClibcNg
                ? new[] { ($"{(p.Libc.Family == LibcFamily.UClibcNg ? "The image" : $"The entrypoint {p.Entrypoint!.Path}")} resolves names with uClibc-ng{(p.Libc.Version is { } v ? " " + v : " (version unknown)")}: AAAA then A, one query at a time, no ndots, no TCP fallback; only the first option of each resolv.conf options line is read.", p.Libc.Family == LibcFamily.UClibcNg ? p.Libc.Evidence : p.Entrypoint!.Evidence, p.Libc.Version) }
                : Array.Empty<(string, ImageEvidence?, string?)>(),
        },
        new()
        {
            Id = "DNS-LIBC-001", Severity = DnsRuleSeverity.Info,
            Title = "No C library: names are resolved by the program itself",
            Description = "The image has neither musl nor glibc, so its programs are static: a Go binary built with CGO_ENABLED=0 uses Go's own resolver (src/net/dnsclient_unix.go), which reads /etc/nsswitch.conf to order files and DNS (src/net/conf.go) and, without it, uses files then DNS on Linux. Other static programs bring their own resolver.",
            Remediation = "Know which resolver the program brings. For Go, ship an /etc/nsswitch.conf with 'hosts: files dns' to make the order explicit.",
            Check = p => p.Libc.Family == LibcFamily.None
                ? new[] { (p.NsswitchHosts is null ? "No C library and no hosts: line in /etc/nsswitch.conf: a Go program uses its default order (files, dns)." : $"No C library; /etc/nsswitch.conf says hosts: {p.NsswitchHosts}.", p.NsswitchConf?.Evidence, (string?)null) }
                : Array.Empty<(string, ImageEvidence?, string?)>(),
        },
        new()
        {
            Id = "DNS-GO-001", Severity = DnsRuleSeverity.Info,
            Title = "Go resolver without /etc/nsswitch.conf",
            Description = "The entrypoint is a Go binary that resolves names with Go's own resolver (always without cgo; by default with it). Go decides between /etc/hosts and DNS from the hosts: line of /etc/nsswitch.conf (src/net/conf.go, hostLookupOrder); without the file, recent Go on Linux uses files then DNS, older Go used DNS first. Its DNS client sends A and AAAA in parallel, each query on its own socket, and succeeds when one family has an address (src/net/dnsclient_unix.go).",
            Remediation = "Ship /etc/nsswitch.conf with 'hosts: files dns' so the order does not depend on the Go version; see what the resolver sends with Get-ResolverQueryPlan -Resolver go-1.22.",
            Check = p => p.Entrypoint is { Resolver: EntrypointResolver.GoPure or EntrypointResolver.GoCgo } e && p.NsswitchHosts is null
                ? new[] { ($"{e.Path} is a Go binary ({e.GoVersion}, {(e.Resolver == EntrypointResolver.GoPure ? "pure Go resolver" : "cgo")}) and the image has no hosts: line in /etc/nsswitch.conf.", e.Evidence, e.GoVersion) }
                : Array.Empty<(string, ImageEvidence?, string?)>(),
        },
        new()
        {
            Id = "DNS-ENTRY-001", Severity = DnsRuleSeverity.Warning,
            Title = "The entrypoint's resolver differs from the base image's C library",
            Description = "The program the image runs does not resolve names with the image's C library: a static or pure-Go binary on an Alpine or Debian base brings its own resolver (Go: src/net/dnsclient_unix.go, src/net/conf.go), and a binary linked against another libc uses that one (PT_INTERP names the loader). Findings about the base image's libc (musl src/network/res_msend.c, glibc resolv/res_send.c) then describe the shell and tools, not the service; a glibc binary on a musl base needs a compatibility layer to start at all.",
            Remediation = "Judge the service's DNS by the entrypoint's resolver; exclude the base-libc rules for this image if they do not apply, or pick a base whose libc matches the binary (or a scratch/distroless base for a static binary).",
            Check = EntryDiffers,
        },
    };

    private static IEnumerable<(string, ImageEvidence?, string?)> EntryDiffers(ImageDnsProfile p)
    {
        if (p.Entrypoint is not { } e || p.Libc.Family is not (LibcFamily.Musl or LibcFamily.Glibc or LibcFamily.UClibcNg)) yield break;
        var base_ = p.Libc.Family switch { LibcFamily.Musl => EntrypointResolver.Musl, LibcFamily.Glibc => EntrypointResolver.Glibc, _ => EntrypointResolver.UClibcNg };
        if (e.Resolver is EntrypointResolver.Unknown || e.Resolver == base_) yield break;
        var what = e.Resolver switch
        {
            EntrypointResolver.GoPure => $"a Go binary ({e.GoVersion}) using Go's own resolver",
            EntrypointResolver.GoCgo => $"a Go binary ({e.GoVersion}) with cgo, linked against {e.Interpreter}",
            EntrypointResolver.StaticOther => "a static binary with its own resolver",
            _ when e.StaticLibc is { } sl => $"statically linked with {ImageLibcInfo.FamilyName(sl.Family)}",
            EntrypointResolver.Musl => $"linked against musl ({e.Interpreter})",
            EntrypointResolver.UClibcNg => $"linked against uClibc-ng ({e.Interpreter})",
            _ => $"linked against glibc ({e.Interpreter})",
        };
        yield return ($"The entrypoint {e.Path} is {what}, while the image's C library is {p.Libc}.", e.Evidence, e.GoVersion ?? e.Interpreter);
    }

    private static IEnumerable<(string, ImageEvidence?, string?)> ConfIgnored(ImageDnsProfile p)
    {
        if (p.ResolvConf is not { } rc || p.ResolvConfFile is not { } f) yield break;
        if (p.Libc.Family == LibcFamily.UClibcNg)
        {
            var lost = UClibcIgnoredOptions(f.Content ?? "");
            if (lost.Count > 0) yield return ($"/etc/resolv.conf sets {string.Join(", ", lost)}, which uClibc-ng ignores (it reads only the first option of an options line, and only timeout and attempts).", f.Evidence, p.Libc.Version);
            yield break;
        }
        ResolverSettings? s = p.Libc.Family switch { LibcFamily.Musl => rc.Musl, LibcFamily.Glibc => rc.Glibc, _ => null };
        if (s is null) yield break;
        var ignored = s.IgnoredOptions.ToList();
        // no-aaaa arrived in glibc 2.36 (resolv/res_init.c); older versions skip it as unknown.
        if (p.Libc.Family == LibcFamily.Glibc && p.Libc.ParsedVersion is { } v && v < Glibc236
            && rc.GetOption(ResolvConfOptionNames.NoAaaa) is not null && !ignored.Contains(ResolvConfOptionNames.NoAaaa))
            ignored.Add(ResolvConfOptionNames.NoAaaa + " (glibc before 2.36)");
        if (ignored.Count == 0) yield break;
        yield return ($"/etc/resolv.conf sets {string.Join(", ", ignored)}, which {p.Libc} ignores.", f.Evidence, p.Libc.Version);
    }

    /// <summary>
    /// uClibc-ng's __open_nameservers (libc/inet/resolv.c) reads one name:value per options line and acts only on
    /// timeout and attempts; measured with busybox:1.38.0-uclibc ("options ndots:5 timeout:1" kept the 5 s timeout).
    /// </summary>
    internal static List<string> UClibcIgnoredOptions(string resolvConf)
    {
        var lost = new List<string>();
        foreach (var raw in resolvConf.Split('\n'))
        {
            var words = raw.Split(new[] { ' ', '\t', '\r' }, StringSplitOptions.RemoveEmptyEntries);
            if (words.Length < 2 || words[0] != "options") continue;
            for (var i = 1; i < words.Length && !words[i].StartsWith('#'); i++)
            {
                var name = words[i].Split(':')[0];
                if (i == 1 && words[i].Contains(':') && name is "timeout" or "attempts") continue;
                lost.Add(words[i]);
            }
        }
        return lost;
    }

    /// <summary>The rule with this id (case-insensitive), or null.</summary>
    public static ImageDnsRule? Find(string id) => All.FirstOrDefault(r => string.Equals(r.Id, id, StringComparison.OrdinalIgnoreCase));

    /// <summary>Every finding for a profile, in catalogue order; rules in <paramref name="exclude"/> are not evaluated.</summary>
    public static IReadOnlyList<ImageDnsFinding> Evaluate(ImageDnsProfile profile, IEnumerable<string>? exclude = null)
    {
        var skip = new HashSet<string>(exclude ?? Array.Empty<string>(), StringComparer.OrdinalIgnoreCase);
        var list = new List<ImageDnsFinding>();
        foreach (var rule in All)
        {
            if (skip.Contains(rule.Id)) continue;
            foreach (var (message, evidence, version) in rule.Check(profile))
            {
                list.Add(new ImageDnsFinding
                {
                    Image = profile.Image,
                    Platform = profile.Platform,
                    RuleId = rule.Id,
                    Severity = rule.Severity,
                    Title = rule.Title,
                    Message = message,
                    Path = evidence?.Path,
                    Layer = evidence?.Layer,
                    LayerIndex = evidence?.LayerIndex,
                    Version = version,
                    Remediation = rule.Remediation,
                    HelpUri = rule.HelpUri,
                });
            }
        }
        return list;
    }
}
