namespace DnsTools.Core.Images;

/// <summary>An image platform: os/architecture[/variant], as in an OCI index.</summary>
public sealed record ImagePlatform(string Os, string Architecture, string? Variant = null)
{
    public static ImagePlatform Default { get; } = new("linux", "amd64");

    /// <summary>Parses "linux/amd64", "linux/arm64/v8", "linux/arm/v7".</summary>
    public static ImagePlatform Parse(string text)
    {
        var parts = (text ?? "").Trim().Split('/');
        if (parts.Length is < 2 or > 3 || parts.Any(string.IsNullOrWhiteSpace))
            throw new FormatException($"Platform '{text}' is not os/architecture[/variant] (e.g. linux/amd64, linux/arm64/v8).");
        return new ImagePlatform(parts[0].ToLowerInvariant(), NormalizeArch(parts[1]), parts.Length == 3 ? parts[2].ToLowerInvariant() : null);
    }

    internal static string NormalizeArch(string arch) => arch.ToLowerInvariant() switch
    {
        "x86_64" or "x86-64" => "amd64",
        "aarch64" => "arm64",
        "armhf" or "armv7l" => "arm",
        var a => a,
    };

    internal static string? DefaultVariant(string arch) => arch switch
    {
        "arm64" => "v8",
        "arm" => "v7",
        _ => null,
    };

    /// <summary>Whether an image of <paramref name="os"/>/<paramref name="arch"/>/<paramref name="variant"/> runs as this platform.</summary>
    public bool Matches(string? os, string? arch, string? variant)
    {
        if (!string.Equals(os, Os, StringComparison.OrdinalIgnoreCase)) return false;
        if (arch is null || NormalizeArch(arch) != Architecture) return false;
        if (Variant is null) return true;
        var have = string.IsNullOrEmpty(variant) ? DefaultVariant(Architecture) : variant.ToLowerInvariant();
        var want = Variant;
        return have == want || (have is null && want == DefaultVariant(Architecture));
    }

    /// <summary>The config's platform, with the variant the index named for it when the config names none (umoci, some builders omit it).</summary>
    internal static ImagePlatform? WithVariantOf(ImagePlatform? config, ImagePlatform? index) =>
        config is { Variant: null } c && index is { Variant: { } v } i && i.Os == c.Os && i.Architecture == c.Architecture ? c with { Variant = v } : config ?? index;

    public override string ToString() => Variant is null ? $"{Os}/{Architecture}" : $"{Os}/{Architecture}/{Variant}";
}
