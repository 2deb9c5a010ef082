using System.Buffers.Binary;
using System.Text;
using DnsTools.Core.Images;

namespace DnsTools.Core.Inspection;

/// <summary>One installed package as rpm's database records it: name, epoch, version, release, arch.</summary>
public sealed record RpmPackage(string Name, int? Epoch, string Version, string Release, string? Arch)
{
    /// <summary>"[epoch:]version-release", as rpm -q prints it with %{EPOCH}: prefixed when set ("2.34-60.el9", "1:2024a-1.el9").</summary>
    public string Evr => (Epoch is { } e ? $"{e}:" : "") + Version + (Release.Length > 0 ? "-" + Release : "");

    public override string ToString() => $"{Name}-{Evr}{(Arch is null ? "" : "." + Arch)}";
}

/// <summary>
/// An rpm header blob as the package databases store it (the "header without lead and magic"): a big-endian int32
/// index count il and data length dl, il entries of 16 bytes {tag, type, offset, count}, then dl bytes of data.
/// The layout and the sanity limits are those of rpm's lib/header_internal.h (struct entryInfo_s, hdrchkTags: at most
/// 65535 tags; hdrchkData: under 256 MiB of data) and lib/header.c (hdrblobInit/hdrblobVerifyInfo: every offset inside
/// the data, strings NUL-terminated inside it, INT32 data aligned). Only the five tags naming a package are read.
/// </summary>
internal static class RpmHeader
{
    internal const int TagName = 1000, TagVersion = 1001, TagRelease = 1002, TagEpoch = 1003, TagArch = 1022;
    private const int TypeInt32 = 4, TypeString = 6, TypeStringArray = 8, TypeI18nString = 9;
    private const int MaxTags = 0xffff;
    private const int MaxData = 0x0fffffff;

    /// <summary>The package a header blob describes; throws <see cref="ImageException"/> (Corrupt) when the blob is not a sound header.</summary>
    public static RpmPackage Read(ReadOnlySpan<byte> blob, string input)
    {
        if (blob.Length < 8) throw Bad(input, $"a header blob of {blob.Length} bytes is shorter than its 8-byte preamble");
        var il = BinaryPrimitives.ReadInt32BigEndian(blob);
        var dl = BinaryPrimitives.ReadInt32BigEndian(blob[4..]);
        if (il < 1 || il > MaxTags) throw Bad(input, $"a header blob claims {il} index entries (rpm allows 1 to {MaxTags})");
        if (dl < 0 || dl > MaxData) throw Bad(input, $"a header blob claims {dl} bytes of data (rpm allows under 256 MiB)");
        var dataStart = 8L + 16L * il;
        if (dataStart + dl > blob.Length)
            throw Bad(input, $"a header blob of {blob.Length} bytes is truncated: its {il} entries and {dl} data bytes need {dataStart + dl}");
        var data = blob.Slice((int)dataStart, dl);
        string? name = null, version = null, release = null, arch = null;
        int? epoch = null;
        for (var i = 0; i < il; i++)
        {
            var e = blob.Slice(8 + 16 * i, 16);
            var tag = BinaryPrimitives.ReadInt32BigEndian(e);
            if (tag is not (TagName or TagVersion or TagRelease or TagEpoch or TagArch)) continue;
            // The first entry of a tag counts (a sound header has one); later copies are not scanned again.
            if (tag switch { TagName => name, TagVersion => version, TagRelease => release, TagArch => arch, _ => epoch?.ToString() } is not null) continue;
            var type = BinaryPrimitives.ReadInt32BigEndian(e[4..]);
            var offset = BinaryPrimitives.ReadInt32BigEndian(e[8..]);
            var count = BinaryPrimitives.ReadUInt32BigEndian(e[12..]);
            if (offset < 0 || offset >= dl) throw Bad(input, $"tag {tag} points at offset {offset}, outside the {dl} data bytes");
            if (tag == TagEpoch)
            {
                if (type != TypeInt32 || count < 1) throw Bad(input, $"the epoch tag has type {type} and count {count}, not one INT32");
                if (offset % 4 != 0 || offset + 4L > dl) throw Bad(input, $"the epoch at offset {offset} is misaligned or runs past the data");
                epoch = BinaryPrimitives.ReadInt32BigEndian(data[offset..]);
                continue;
            }
            if (type is not (TypeString or TypeStringArray or TypeI18nString) || count < 1)
                throw Bad(input, $"tag {tag} has type {type} and count {count}, not a string");
            var rest = data[offset..];
            var nul = rest.IndexOf((byte)0);
            if (nul < 0) throw Bad(input, $"the string of tag {tag} at offset {offset} has no terminating NUL inside the data");
            var s = Encoding.UTF8.GetString(rest[..nul]);
            switch (tag)
            {
                case TagName: name = s; break;
                case TagVersion: version = s; break;
                case TagRelease: release = s; break;
                case TagArch: arch = s; break;
            }
        }
        if (name is null || version is null) throw Bad(input, "a header blob has no NAME or VERSION tag");
        return new RpmPackage(name, epoch, version, release ?? "", arch);
    }

    private static ImageException Bad(string input, string why) => new(ImageErrorKind.Corrupt, input, $"rpm database '{input}': {why}.");
}
