using System.Text.Json;

namespace DnsTools.Core.Images;

internal static class Json
{
    private static readonly System.Text.UTF8Encoding StrictUtf8 = new(false, true);

    public static JsonDocument Parse(byte[] data, string image, string what)
    {
        try
        {
            // JsonDocument checks the UTF-8 of strings only when they are read: check it all here.
            _ = StrictUtf8.GetCharCount(data);
            return JsonDocument.Parse(data, new JsonDocumentOptions { MaxDepth = 64 });
        }
        catch (Exception e) when (e is JsonException or System.Text.DecoderFallbackException)
        {
            throw new ImageException(ImageErrorKind.Corrupt, image, $"Image '{image}': {what} is not valid JSON: {e.Message}", e);
        }
    }

    public static string? Str(this JsonElement e, string name) =>
        e.ValueKind == JsonValueKind.Object && e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;

    public static string? AsString(this JsonElement e) => e.ValueKind == JsonValueKind.String ? e.GetString() : null;

    public static long? Long(this JsonElement e, string name) =>
        e.ValueKind == JsonValueKind.Object && e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Number && v.TryGetInt64(out var l) ? l : null;

    public static JsonElement Prop(this JsonElement e, string name) =>
        e.ValueKind == JsonValueKind.Object && e.TryGetProperty(name, out var v) ? v : default;

    public static IEnumerable<JsonElement> Items(this JsonElement e) =>
        e.ValueKind == JsonValueKind.Array ? e.EnumerateArray() : Enumerable.Empty<JsonElement>();
}
