using DnsTools.Core.ResolvConf;

namespace DnsTools.Core.Kubernetes;

/// <summary>A pod's spec.dnsPolicy.</summary>
[Newtonsoft.Json.JsonConverter(typeof(Newtonsoft.Json.Converters.StringEnumConverter))]
public enum PodDnsPolicy
{
    ClusterFirst,
    ClusterFirstWithHostNet,
    Default,
    None,
}

/// <summary>A pod's spec.dnsConfig: appended to what the policy produced.</summary>
public sealed class PodDnsConfig
{
    public List<string> Nameservers { get; } = new();
    public List<string> Searches { get; } = new();

    /// <summary>Options by name; a null value means the option has no value ("single-request-reopen").</summary>
    public List<ResolvConfOption> Options { get; } = new();
}

/// <summary>What kubelet was told: its --cluster-dns, --cluster-domain and --resolv-conf.</summary>
public sealed class KubeletDnsSettings
{
    public IReadOnlyList<string> ClusterDns { get; init; } = Array.Empty<string>();
    public string ClusterDomain { get; init; } = "cluster.local";

    /// <summary>The node's resolv.conf (kubelet --resolv-conf); null when kubelet has none.</summary>
    public ResolvConf.ResolvConf? HostResolvConf { get; init; }

    /// <summary>
    /// Search-list limits: 32 paths / 2048 characters since the ExpandedDNSConfig feature
    /// (GA in Kubernetes 1.28); 6 / 256 before (pkg/apis/core/validation: MaxDNSSearchPaths*).
    /// </summary>
    public bool LegacySearchLimits { get; init; }
}

/// <summary>The resolv.conf kubelet asks the runtime to write, and what kubelet said while forming it.</summary>
public sealed record PodResolvConfResult(ResolvConf.ResolvConf ResolvConf, IReadOnlyList<string> Warnings);

/// <summary>
/// Forms a pod's resolv.conf the way kubelet does (kubernetes pkg/kubelet/network/dns/dns.go:
/// GetPodDNS, getPodDNSType, generateSearchesForDNSClusterFirst, appendDNSConfig, mergeDNSOptions,
/// formDNSSearchFitsLimits, formDNSNameserversFitsLimits).
/// </summary>
public static class PodResolvConfGenerator
{
    public const int MaxNameservers = 3;
    public const int MaxSearchPathsExpanded = 32, MaxSearchListCharsExpanded = 2048;
    public const int MaxSearchPathsLegacy = 6, MaxSearchListCharsLegacy = 256;

    /// <summary>A search path longer than a DNS-1123 subdomain (253) is dropped: glibc 2.28 aborted on them.</summary>
    public const int MaxSearchPathLength = 253;

    /// <summary>kubelet's defaultDNSOptions for ClusterFirst pods.</summary>
    public static readonly IReadOnlyList<string> ClusterFirstOptions = new[] { "ndots:5" };

    public static PodResolvConfResult Generate(
        KubeletDnsSettings kubelet,
        string podNamespace,
        PodDnsPolicy policy = PodDnsPolicy.ClusterFirst,
        bool hostNetwork = false,
        PodDnsConfig? dnsConfig = null)
    {
        ArgumentNullException.ThrowIfNull(kubelet);
        ArgumentException.ThrowIfNullOrEmpty(podNamespace);
        var warnings = new List<string>();
        Validate(policy, dnsConfig);

        // The host's settings are the base (getHostDNSConfig parses --resolv-conf).
        var host = kubelet.HostResolvConf is null ? null : ReadHostResolvConf(kubelet.HostResolvConf);
        var servers = host?.Servers.ToList() ?? new List<string>();
        var searches = host?.Searches.ToList() ?? new List<string>();
        var options = host?.Options.ToList() ?? new List<string>();

        var effective = EffectivePolicy(policy, hostNetwork);
        if (effective == PodDnsPolicy.None)
        {
            // DNSNone starts from empty settings.
            servers.Clear(); searches.Clear(); options.Clear();
        }
        else if (effective == PodDnsPolicy.ClusterFirst && kubelet.ClusterDns.Count == 0)
        {
            warnings.Add($"kubelet does not have ClusterDNS IP configured and cannot create Pod using \"{nameof(PodDnsPolicy.ClusterFirst)}\" policy. Falling back to \"{nameof(PodDnsPolicy.Default)}\" policy.");
            effective = PodDnsPolicy.Default;
        }

        if (effective == PodDnsPolicy.ClusterFirst)
        {
            // The cluster DNS is the only nameserver; the host's options are replaced by ndots:5.
            servers = kubelet.ClusterDns.ToList();
            searches = ClusterFirstSearches(kubelet.ClusterDomain, podNamespace, searches);
            options = ClusterFirstOptions.ToList();
        }
        else if (effective == PodDnsPolicy.Default && kubelet.HostResolvConf is null)
        {
            // kubelet --resolv-conf="": DNS effectively disabled, loopback nameserver, search ".".
            servers = new List<string> { "127.0.0.1" };
            searches = new List<string> { "." };
        }

        if (dnsConfig is not null)
        {
            servers = OmitDuplicates(servers.Concat(dnsConfig.Nameservers));
            searches = OmitDuplicates(searches.Concat(dnsConfig.Searches));
            options = MergeOptions(options, dnsConfig.Options);
        }

        searches = FitSearchLimits(searches, kubelet.LegacySearchLimits, warnings);
        if (servers.Count > MaxNameservers)
        {
            servers = servers.Take(MaxNameservers).ToList();
            warnings.Add($"Nameserver limits were exceeded, some nameservers have been omitted, the applied nameserver line is: {string.Join(' ', servers)}");
        }

        var builder = new ResolvConfBuilder();
        builder.Nameservers.AddRange(servers);
        builder.Search.AddRange(searches);
        builder.Options.AddRange(options.Select(o => ResolvConfOption.Parse(o)));
        return new PodResolvConfResult(builder.Build("kubelet"), warnings);
    }

    /// <summary>
    /// What the API server rejects before kubelet sees the pod (pkg/apis/core/validation/validation.go,
    /// validatePodDNSConfig): None without a nameserver, more than 3 nameservers or a non-IP one,
    /// more than 32 search paths or 2048 characters, an option without a name.
    /// </summary>
    public static void Validate(PodDnsPolicy policy, PodDnsConfig? dnsConfig)
    {
        if (policy == PodDnsPolicy.None && (dnsConfig is null || dnsConfig.Nameservers.Count == 0))
            throw new ArgumentException("dnsPolicy None needs dnsConfig with at least one nameserver (the API server rejects the pod otherwise)");
        if (dnsConfig is null) return;
        if (dnsConfig.Nameservers.Count > MaxNameservers)
            throw new ArgumentException($"dnsConfig.nameservers has {dnsConfig.Nameservers.Count} entries: the API server allows at most {MaxNameservers}");
        foreach (var ns in dnsConfig.Nameservers)
            if (!System.Net.IPAddress.TryParse(ns, out _))
                throw new ArgumentException($"dnsConfig.nameservers: '{ns}' is not a valid IP address");
        if (dnsConfig.Searches.Count > MaxSearchPathsExpanded)
            throw new ArgumentException($"dnsConfig.searches has {dnsConfig.Searches.Count} entries: the API server allows at most {MaxSearchPathsExpanded}");
        if (string.Join(' ', dnsConfig.Searches).Length > MaxSearchListCharsExpanded)
            throw new ArgumentException($"dnsConfig.searches is longer than {MaxSearchListCharsExpanded} characters");
        if (dnsConfig.Options.Any(o => string.IsNullOrEmpty(o.Name)))
            throw new ArgumentException("dnsConfig.options: every option needs a name");
    }

    /// <summary>getPodDNSType: ClusterFirst on the host network falls back to Default; WithHostNet does not.</summary>
    public static PodDnsPolicy EffectivePolicy(PodDnsPolicy policy, bool hostNetwork) => policy switch
    {
        PodDnsPolicy.ClusterFirstWithHostNet => PodDnsPolicy.ClusterFirst,
        PodDnsPolicy.ClusterFirst when hostNetwork => PodDnsPolicy.Default,
        _ => policy,
    };

    /// <summary>generateSearchesForDNSClusterFirst: namespace, svc and cluster domains first, then the host's.</summary>
    public static List<string> ClusterFirstSearches(string clusterDomain, string podNamespace, IEnumerable<string> hostSearches)
    {
        if (string.IsNullOrEmpty(clusterDomain)) return hostSearches.ToList();
        var cluster = new[] { $"{podNamespace}.svc.{clusterDomain}", $"svc.{clusterDomain}", clusterDomain };
        return OmitDuplicates(cluster.Concat(hostSearches));
    }

    /// <summary>
    /// mergeDNSOptions: the pod's options replace existing ones of the same name. kubelet goes
    /// through a Go map, so its order is random; here existing names keep their place and new names
    /// follow in the pod's order.
    /// </summary>
    public static List<string> MergeOptions(IEnumerable<string> existing, IEnumerable<ResolvConfOption> podOptions)
    {
        var merged = new List<KeyValuePair<string, string>>();
        void Set(string name, string value)
        {
            var i = merged.FindIndex(p => p.Key == name);
            if (i >= 0) merged[i] = new(name, value); else merged.Add(new(name, value));
        }
        foreach (var op in existing)
        {
            var i = op.IndexOf(':');
            if (i >= 0) Set(op[..i], op[(i + 1)..]); else Set(op, string.Empty);
        }
        foreach (var op in podOptions) Set(op.Name, op.Value ?? string.Empty);
        // An empty value is written as the bare name, as kubelet does.
        return merged.Select(p => p.Value.Length == 0 ? p.Key : $"{p.Key}:{p.Value}").ToList();
    }

    /// <summary>formDNSSearchFitsLimits: cut to the path limit, drop over-long paths, then cut from the end to the character limit.</summary>
    public static List<string> FitSearchLimits(List<string> searches, bool legacy, List<string> warnings)
    {
        var maxPaths = legacy ? MaxSearchPathsLegacy : MaxSearchPathsExpanded;
        var maxChars = legacy ? MaxSearchListCharsLegacy : MaxSearchListCharsExpanded;
        var exceeded = false;
        var result = searches;
        if (result.Count > maxPaths)
        {
            result = result.Take(maxPaths).ToList();
            exceeded = true;
        }
        var fitting = result.Where(s => s.Length <= MaxSearchPathLength).ToList();
        if (fitting.Count != result.Count) exceeded = true;
        result = fitting;

        var lineLength = string.Join(' ', result).Length;
        if (lineLength > maxChars)
        {
            var cutLength = 0;
            var cutCount = 0;
            for (var i = result.Count - 1; i >= 0; i--)
            {
                cutLength += result[i].Length + 1;
                cutCount++;
                if (lineLength - cutLength <= maxChars) break;
            }
            result = result.Take(result.Count - cutCount).ToList();
            exceeded = true;
        }
        if (exceeded)
            warnings.Add($"Search Line limits were exceeded, some search paths have been omitted, the applied search line is: {string.Join(' ', result)}");
        return result;
    }

    private static List<string> OmitDuplicates(IEnumerable<string> items)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        return items.Where(seen.Add).ToList();
    }

    /// <summary>What kubelet takes from the node's resolv.conf (parseResolvConf).</summary>
    internal sealed record HostDns(IReadOnlyList<string> Servers, IReadOnlyList<string> Searches, IReadOnlyList<string> Options);

    /// <summary>
    /// kubelet's parseResolvConf: trimmed lines, '#' comments; every "nameserver" accumulates its
    /// first field as written; the last "search" wins, each path without its trailing dot and "."
    /// dropped; "options" accumulate by name (a later value replaces an earlier one); "domain" is
    /// not read.
    /// </summary>
    internal static HostDns ReadHostResolvConf(ResolvConf.ResolvConf conf)
    {
        var servers = new List<string>();
        var searches = new List<string>();
        var options = new List<string>();
        foreach (var line in conf.Lines)
        {
            var trimmed = line.Text.Trim();
            if (trimmed.StartsWith('#')) continue;
            var fields = ResolvConfParser.SplitFields(trimmed);
            if (fields.Length == 0) continue;
            switch (fields[0])
            {
                case "nameserver" when fields.Length >= 2:
                    servers.Add(fields[1]);
                    break;
                case "nameserver":
                    // parseResolvConf returns an error, and GetPodDNS fails for every pod on the node.
                    throw new InvalidDataException($"{conf.Source}:{line.LineNumber}: 'nameserver' without an address: kubelet fails to form DNS for every pod on this node (\"nameserver list is empty\")");
                case "search":
                    searches = fields.Skip(1).Where(s => s != ".").Select(s => s.EndsWith('.') ? s[..^1] : s).ToList();
                    break;
                case "options":
                    options = MergeOptions(options, fields.Skip(1).Select(w => ResolvConfOption.Parse(w)));
                    break;
            }
        }
        return new HostDns(servers, searches, options);
    }
}
