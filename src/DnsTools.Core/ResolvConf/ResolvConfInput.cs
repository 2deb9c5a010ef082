namespace DnsTools.Core.ResolvConf;

/// <summary>
/// Turns what a user passes as "a resolv.conf" into one: an existing file's path, or the text itself.
/// A string that is neither is an error naming it, so a mistyped path never silently becomes an
/// empty configuration (which would mean "use 127.0.0.1").
/// </summary>
public static class ResolvConfInput
{
    private static readonly string[] Keywords = { "nameserver", "search", "domain", "options", "sortlist", "#", ";" };

    public static ResolvConf Load(string value, string currentDirectory)
    {
        ArgumentNullException.ThrowIfNull(value);
        if (value.Contains('\n') || Keywords.Any(k => value.TrimStart().StartsWith(k, StringComparison.Ordinal)))
            return ResolvConfParser.Parse(value, "text");
        var path = Path.GetFullPath(value, currentDirectory);
        if (File.Exists(path))
            return ResolvConfParser.ParseFile(path);
        throw new FileNotFoundException($"'{value}' is neither an existing resolv.conf file ({path}) nor resolv.conf text", path);
    }
}
