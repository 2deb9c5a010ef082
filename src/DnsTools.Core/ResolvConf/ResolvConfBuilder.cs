namespace DnsTools.Core.ResolvConf;

/// <summary>
/// Builds a resolv.conf from its parts and writes it the way the container runtime writes a pod's
/// file: "search", then one "nameserver" line each, then "options" (containerd's CRI plugin,
/// parseDNSOptions in its sandbox_run code). The result is parsed back, so its structured view is
/// exactly what the text says.
/// </summary>
public sealed class ResolvConfBuilder
{
    public List<string> Nameservers { get; } = new();
    public List<string> Search { get; } = new();
    public List<ResolvConfOption> Options { get; } = new();

    public static ResolvConfBuilder From(ResolvConf conf)
    {
        var b = new ResolvConfBuilder();
        b.Nameservers.AddRange(conf.Nameservers.Select(n => n.ToString()));
        b.Search.AddRange(conf.Search);
        b.Options.AddRange(conf.Options);
        return b;
    }

    /// <summary>Sets an option, replacing every earlier occurrence of the same name.</summary>
    public ResolvConfBuilder SetOption(string name, string? value = null)
    {
        var at = Options.FindIndex(o => o.Name == name);
        Options.RemoveAll(o => o.Name == name);
        var option = new ResolvConfOption(name, value, 0);
        if (at < 0 || at > Options.Count) Options.Add(option); else Options.Insert(at, option);
        return this;
    }

    public ResolvConfBuilder RemoveOption(string name)
    {
        Options.RemoveAll(o => o.Name == name);
        return this;
    }

    public string ToText()
    {
        var lines = new List<string>();
        if (Search.Count > 0) lines.Add("search " + string.Join(' ', Search));
        lines.AddRange(Nameservers.Select(n => "nameserver " + n));
        if (Options.Count > 0) lines.Add("options " + string.Join(' ', Options.Select(o => o.ToString())));
        return string.Concat(lines.Select(l => l + "\n"));
    }

    public ResolvConf Build(string source = "generated") => ResolvConfParser.Parse(ToText(), source);
}
