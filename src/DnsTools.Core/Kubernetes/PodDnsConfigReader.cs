using System.Collections;
using DnsTools.Core.ResolvConf;

namespace DnsTools.Core.Kubernetes;

/// <summary>
/// Reads a pod's dnsConfig given as a dictionary shaped like the pod spec:
/// <c>@{ nameservers = '1.2.3.4'; searches = 'a.example'; options = @{ name = 'ndots'; value = '2' }, 'single-request-reopen' }</c>.
/// Options may also be "name:value" strings. Keys are case-insensitive; unknown keys are an error.
/// </summary>
public static class PodDnsConfigReader
{
    public static PodDnsConfig Read(IDictionary dictionary)
    {
        ArgumentNullException.ThrowIfNull(dictionary);
        var config = new PodDnsConfig();
        foreach (DictionaryEntry entry in dictionary)
        {
            var key = entry.Key?.ToString() ?? string.Empty;
            switch (key.ToLowerInvariant())
            {
                case "nameservers":
                    config.Nameservers.AddRange(Strings(entry.Value, key));
                    break;
                case "searches":
                    config.Searches.AddRange(Strings(entry.Value, key));
                    break;
                case "options":
                    foreach (var item in Items(entry.Value))
                        config.Options.Add(ReadOption(item));
                    break;
                default:
                    throw new ArgumentException($"dnsConfig has no field '{key}': use nameservers, searches and options");
            }
        }
        return config;
    }

    private static ResolvConfOption ReadOption(object? item) => item switch
    {
        string s => ResolvConfOption.Parse(s),
        IDictionary d => new ResolvConfOption(
            Find(d, "name")?.ToString() is { Length: > 0 } name ? name : throw new ArgumentException("a dnsConfig option needs a 'name'"),
            Find(d, "value")?.ToString(), 0),
        _ => throw new ArgumentException($"a dnsConfig option must be 'name:value' or @{{ name = ...; value = ... }}, not '{item}'"),
    };

    private static object? Find(IDictionary d, string key)
    {
        foreach (DictionaryEntry e in d)
            if (string.Equals(e.Key?.ToString(), key, StringComparison.OrdinalIgnoreCase)) return e.Value;
        return null;
    }

    private static IEnumerable<string> Strings(object? value, string key)
        => Items(value).Select(v => v?.ToString() is { Length: > 0 } s ? s : throw new ArgumentException($"dnsConfig.{key} has an empty entry"));

    private static IEnumerable<object?> Items(object? value) => value switch
    {
        null => Array.Empty<object?>(),
        string s => new object?[] { s },
        IDictionary d => new object?[] { d },
        IEnumerable e => e.Cast<object?>(),
        _ => new[] { value },
    };
}
