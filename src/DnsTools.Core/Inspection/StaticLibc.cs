using System.Text;

namespace DnsTools.Core.Inspection;

/// <summary>The C library linked into a static program, told from strings only that library puts there.</summary>
public sealed class StaticLibcInfo
{
    public required LibcFamily Family { get; init; }
    /// <summary>The lowest release whose code the binary shows ("2.36" when glibc's resolver option table has no-aaaa); null when nothing narrows it.</summary>
    public string? MinimumVersion { get; init; }
    /// <summary>The string that identified the library.</summary>
    public required string Marker { get; init; }
    /// <summary>Whether the binary holds a stub resolver at all (the string "/etc/resolv.conf" every one of them opens).</summary>
    public bool HasResolver { get; init; }
    /// <summary>What is known of the version and why, and what the rules assume.</summary>
    public required string VersionNote { get; init; }

    public override string ToString() => $"{Family}{(MinimumVersion is null ? "" : " >= " + MinimumVersion)} ({Marker})";
}

/// <summary>
/// Tells musl, glibc and uClibc-ng apart inside a statically linked ELF. A static binary has no loader or libc file to
/// read and, for musl and uClibc-ng, no version string either, so the markers are NUL-delimited strings each library's
/// own sources put into every program that links its resolver or error reporting. Checked with `strings` on the
/// official busybox:1.38.0-musl and -uclibc images, Debian's busybox-static, and musl-gcc -static / gcc -static builds.
/// </summary>
internal static class StaticLibcDetector
{
    // glibc: the tunables environment variable (elf/dl-tunables.c) and the GLIBC_PRIVATE version name the static
    // startup code looks up in the vDSO and for static dlopen (elf/dl-support.c, elf/dl-vdso.h); "GNU C Library" is
    // the banner (csu/version.c) when it is linked in.
    private static readonly string[] GlibcMarkers = { "\0GLIBC_TUNABLES\0", "\0GLIBC_PRIVATE\0", "GNU C Library" };
    // musl: the first entry of its strerror table, src/errno/__strerror.h: E(0, "No error information").
    private static readonly string[] MuslMarkers = { "\0No error information\0" };
    // uClibc-ng: herror's table, libc/inet/herror.c: "Error 0", "Unknown host", "Host name lookup failure" in a row;
    // and the prefixes of strerror_r/strsignal for unknown numbers, libc/string/__xpg_strerror_r.c ("Unknown error ")
    // and libc/string/strsignal.c ("Unknown signal "), which glibc writes as "Unknown signal %d".
    private static readonly string[] UClibcMarkers = { "\0Error 0\0Unknown host\0Host name lookup failure\0", "\0Unknown signal \0" };

    // glibc's resolv.conf options table (resolv/res_init.c, struct option_entry options[]): each name arrived in a release.
    private static readonly (string Option, string Since)[] GlibcOptions = { ("\0no-aaaa\0", "2.36"), ("\0trust-ad\0", "2.31"), ("\0no-reload\0", "2.26") };

    public static StaticLibcInfo? Detect(byte[] data)
    {
        var span = data.AsSpan();
        var hasResolver = Contains(span, "/etc/resolv.conf\0");
        if (First(span, GlibcMarkers) is { } glibc)
        {
            string? since = null;
            if (Contains(span, "\0single-request-reopen\0"))
                foreach (var (option, version) in GlibcOptions)
                    if (Contains(span, option)) { since = version; break; }
            return new StaticLibcInfo
            {
                Family = LibcFamily.Glibc, Marker = Clean(glibc), MinimumVersion = since, HasResolver = hasResolver,
                VersionNote = (since is null
                        ? "version unknown: a static glibc carries no version string and its resolver options table names no option newer than 2.26; the rules take it as glibc 2.9 or later"
                        : $"version {since} or later: a static glibc carries no version string, but its resolver options table has {since switch { "2.36" => "no-aaaa (2.36)", "2.31" => "trust-ad (2.31)", _ => "no-reload (2.26)" }}")
                    + ". A static glibc still reads /etc/nsswitch.conf and loads libnss_* modules from the image at run time (nss/nss_module.c); measured with gcc -static (glibc 2.36): with 'hosts: files dns' it queried DNS, with no /etc/nsswitch.conf it sent no query and failed (EAI_AGAIN)",
            };
        }
        if (First(span, MuslMarkers) is { } musl)
            return new StaticLibcInfo
            {
                Family = LibcFamily.Musl, Marker = Clean(musl), HasResolver = hasResolver,
                VersionNote = "version unknown: a static musl carries no version string (only its dynamic loader prints one); DNS-MUSL-001 holds for every musl, the version rules (DNS-MUSL-002 before 1.2.4, DNS-MUSL-003 before 1.1.13) are not asserted",
            };
        if (First(span, UClibcMarkers) is { } uclibc)
            return new StaticLibcInfo
            {
                Family = LibcFamily.UClibcNg, Marker = Clean(uclibc), HasResolver = hasResolver,
                VersionNote = "version unknown: a static uClibc-ng carries no version string; DNS-UCLIBC-001 describes the resolver of uClibc-ng 1.0.x (libc/inet/resolv.c)",
            };
        return null;
    }

    private static string? First(ReadOnlySpan<byte> span, string[] markers)
    {
        foreach (var m in markers)
            if (Contains(span, m)) return m;
        return null;
    }

    private static bool Contains(ReadOnlySpan<byte> span, string marker) => span.IndexOf(Encoding.ASCII.GetBytes(marker)) >= 0;

    private static string Clean(string marker) => marker.Trim('\0').Replace("\0", " / ", StringComparison.Ordinal).TrimEnd();
}
