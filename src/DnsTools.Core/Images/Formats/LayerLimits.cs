namespace DnsTools.Core.Images;

/// <summary>
/// The layer list a manifest may give, checked before any layer is opened: a manifest is a few bytes per layer, and
/// one naming the same blob thousands of times would otherwise have it read thousands of times.
/// </summary>
internal static class LayerLimits
{
    /// <summary>Refuses more than <see cref="ImageOpenOptions.MaxLayers"/> layers, or one blob listed more than <see cref="ImageOpenOptions.MaxDuplicateLayers"/> times.</summary>
    public static void Check(IReadOnlyList<string?> layers, string image, ImageOpenOptions? options)
    {
        options ??= new ImageOpenOptions();
        if (layers.Count > options.MaxLayers)
            throw new ImageException(ImageErrorKind.LimitExceeded, image, $"Image '{image}' lists {layers.Count} layers, more than the {options.MaxLayers} allowed (-MaxLayers; Docker's own limit is 127).");
        var counts = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var l in layers)
        {
            if (l is null) continue;
            var n = counts[l] = counts.GetValueOrDefault(l) + 1;
            if (n > options.MaxDuplicateLayers)
                throw new ImageException(ImageErrorKind.LimitExceeded, image, $"Image '{image}' lists layer {l} more than {options.MaxDuplicateLayers} times (-MaxDuplicateLayers).");
        }
    }
}
