using System.Security.Cryptography;
using System.Text.RegularExpressions;

namespace DnsTools.Core.Images;

internal static class Digests
{
    private static readonly Regex Valid = new("^(sha256:[a-f0-9]{64}|sha512:[a-f0-9]{128})$", RegexOptions.CultureInvariant);

    public static bool IsValid(string? d) => d is not null && Valid.IsMatch(d);

    public static string Check(string? digest, string image, string what)
    {
        if (!IsValid(digest)) throw new ImageException(ImageErrorKind.Corrupt, image, $"Image '{image}': {what} has an invalid digest '{digest}'.");
        return digest!;
    }

    public static IncrementalHash Create(string digest) =>
        IncrementalHash.CreateHash(digest.StartsWith("sha512:", StringComparison.Ordinal) ? HashAlgorithmName.SHA512 : HashAlgorithmName.SHA256);

    public static string Format(string digestLike, byte[] hash) =>
        (digestLike.StartsWith("sha512:", StringComparison.Ordinal) ? "sha512:" : "sha256:") + Convert.ToHexString(hash).ToLowerInvariant();

    public static string Of(byte[] data) => "sha256:" + Convert.ToHexString(SHA256.HashData(data)).ToLowerInvariant();

    public static string BlobPath(string digest) => "blobs/" + digest.Replace(':', '/');
}
