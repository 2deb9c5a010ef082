using System.Text;

namespace DnsTools.Core.Inspection;

/// <summary>The C library linked into a static program, told from strings only that library puts there.</summary>
public sealed class StaticLibcInfo
{
    public required LibcFamily Family { get; init; }
    /// <summary>The lowest release whose code the binary shows ("2.36" when glibc's resolver option table has no-aaaa); null when nothing narrows it.</summary>
    public string? MinimumVersion { get; init; }
    /// <summary>The first release whose code the binary does not show, when that is known (a static musl without the strerror messages of 1.2.3: "1.2.3"): the version is below it.</summary>
    public string? BeforeVersion { get; init; }
    /// <summary>The string that identified the library.</summary>
    public required string Marker { get; init; }
    /// <summary>Whether the binary holds a stub resolver at all (the string "/etc/resolv.conf" every one of them opens).</summary>
    public bool HasResolver { get; init; }
    /// <summary>What is known of the version and why, and what the rules assume.</summary>
    public required string VersionNote { get; init; }

    public override string ToString() => $"{Family}{(MinimumVersion is null ? "" : " >= " + MinimumVersion)}{(BeforeVersion is null ? "" : " < " + BeforeVersion)} ({Marker})";
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
        {
            var (since, before, why) = MuslVersionRange(span, hasResolver);
            return new StaticLibcInfo
            {
                Family = LibcFamily.Musl, Marker = Clean(musl), HasResolver = hasResolver, MinimumVersion = since, BeforeVersion = before,
                VersionNote = MuslVersionNote(since, before, why),
            };
        }
        if (First(span, UClibcMarkers) is { } uclibc)
            return new StaticLibcInfo
            {
                Family = LibcFamily.UClibcNg, Marker = Clean(uclibc), HasResolver = hasResolver,
                VersionNote = "version unknown: a static uClibc-ng carries no version string; DNS-UCLIBC-001 describes the resolver of uClibc-ng 1.0.x (libc/inet/resolv.c)",
            };
        return null;
    }

    /// <summary>
    /// What a static musl's own tables show of its version. A static program carries no version string, but it carries
    /// the whole of each message table it links, and musl added messages in known releases (checked against the
    /// libc.so of musl 1.1.12, 1.1.19, 1.1.24, 1.2.1, 1.2.2, 1.2.3, 1.2.4 and 1.2.5 — the official Alpine minirootfs
    /// loaders and the release-tag builds in the shared real-libc folder — and against musl-gcc -static with Debian's
    /// musl 1.2.3 and the official busybox:1.38.0-musl):
    /// - the strerror table (src/errno/__strerror.h; linked whenever "No error information" is there, which is how musl
    ///   was recognised) has ENOKEY's "Required key not available" (and EKEYEXPIRED, EKEYREVOKED, EKEYREJECTED) from
    ///   1.2.3 on: absent in 1.2.2 and every release before, present from 1.2.3;
    /// - gai_strerror's table (src/network/gai_strerror.c; linked only when the program calls gai_strerror) has
    ///   EAI_NODATA's "Name has no usable address" from 1.2.4 on, the release that also added the TCP fallback for
    ///   truncated answers (src/network/res_msend.c): with the table ("Name does not resolve") and without that message
    ///   the library is older than 1.2.4;
    /// - the resolv.conf parser (src/network/resolvconf.c from 1.1.13, res_msend.c before) reads "ndots:" and "search"
    ///   from 1.1.13 on, the release that added the search list: with the parser ("nameserver") and no "ndots:" the
    ///   library is older than 1.1.13 (1.1.12's libc.so has neither string).
    /// What the binary does not link cannot narrow the version: the TCP fallback itself leaves no string.
    /// </summary>
    internal static (string? Since, string? Before, string Why) MuslVersionRange(ReadOnlySpan<byte> span, bool hasResolver)
    {
        string? since = null, before = null;
        var why = new List<string>();
        if (Contains(span, "\0Required key not available\0"))
        {
            since = "1.2.3";
            why.Add("its strerror table has the key-management messages musl added in 1.2.3");
        }
        else
        {
            before = "1.2.3";
            why.Add("its strerror table lacks the key-management messages musl added in 1.2.3");
        }
        if (Contains(span, "\0Name does not resolve\0"))
        {
            if (Contains(span, "\0Name has no usable address\0"))
            {
                since = "1.2.4";
                why.Add("its gai_strerror table has EAI_NODATA's message, added in 1.2.4 with the TCP fallback");
            }
            else if (since == "1.2.3")
            {
                before = "1.2.4";
                why.Add("its gai_strerror table lacks EAI_NODATA's message, added in 1.2.4 with the TCP fallback");
            }
        }
        if (hasResolver && Contains(span, "\0nameserver\0") && !Contains(span, "\0ndots:\0"))
        {
            before = "1.1.13";
            why.Add("its resolv.conf parser reads no ndots: or search, which musl added in 1.1.13");
        }
        return (since, before, string.Join("; ", why));
    }

    private static string MuslVersionNote(string? since, string? before, string why)
    {
        var range = (since, before) switch
        {
            (not null, not null) => $"version {since} or later and before {before}",
            (not null, null) => $"version {since} or later",
            (null, not null) => $"version before {before}",
            _ => "version unknown",
        };
        var rules = before is not null && Version.Parse(before) <= new Version(1, 2, 4)
            ? "DNS-MUSL-002 (no TCP fallback before 1.2.4) applies" + (before == "1.1.13" ? ", and DNS-MUSL-003 (no search list before 1.1.13)" : "")
            : since == "1.2.4" ? "no version rule applies (DNS-MUSL-002 and DNS-MUSL-003 concern older releases)"
            : "the version rules (DNS-MUSL-002 before 1.2.4, DNS-MUSL-003 before 1.1.13) are not asserted, as the binary does not show which side it is on";
        return $"{range}: a static musl carries no version string (only its dynamic loader prints one), but {why}; {rules}";
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
