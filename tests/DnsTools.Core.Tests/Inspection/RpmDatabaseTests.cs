using System.Buffers.Binary;
using System.Diagnostics;
using DnsTools.Core.Images;
using DnsTools.Core.Inspection;

namespace DnsTools.Core.Tests.Inspection;

/// <summary>
/// rpm package databases written by the real rpm (tests/fixtures/New-DnsLintFixtures.sh: rpmbuild, then rpm -i --justdb
/// with the sqlite backend; the ndb file is assembled from the real header blobs, the BerkeleyDB files by the real
/// Berkeley DB's db_load and read back by rpm's own bdb_ro). Expected values come from rpm and skopeo, not from the code
/// under test.
/// </summary>
public class RpmDatabaseTests
{
    private static string Expected(string name) => Path.Combine(LintFixtures.Dir, "expected", name);

    /// <summary>A database file as it sits in a fixture image, read through the image reader.</summary>
    private static byte[] Database(string tag, string path)
    {
        using var source = ImageSource.Open(LintFixtures.Oci(tag));
        var f = ImageFileReader.Read(source, new[] { path }, recurse: false, new ImageScanOptions { MaxContentBytes = 256 << 20 }).Single();
        return f.GetContentBytes() ?? throw new InvalidOperationException($"{path} was not read");
    }

    private static (string Name, int? Epoch, string Version, string Release, string Arch) Qf(string name)
    {
        var p = File.ReadAllText(Expected($"rpm-{name}.qf")).Trim().Split(' ');
        return (p[0], p[1] == "(none)" ? null : int.Parse(p[1]), p[2], p[3], p[4]);
    }

    [RpmFixtureFact]
    public void Glibc_comes_from_the_sqlite_rpm_database_with_its_layer()
    {
        var p = ImageDnsInspector.Inspect(LintFixtures.Oci("rpm-sqlite"));
        Assert.Equal(LibcFamily.Glibc, p.Libc.Family);
        Assert.Equal("2.34", p.Libc.Version); // the image's libc.so.6 is the host's (another version): the database wins
        Assert.Equal("2.34-60.el9", p.Libc.PackageVersion);
        Assert.Equal("rpm", p.Libc.Source);
        Assert.Null(p.Libc.Note);
        Assert.Equal("/var/lib/rpm/rpmdb.sqlite", p.Libc.Evidence!.Path);
        Assert.Equal(0, p.Libc.Evidence.LayerIndex);
        Assert.Equal(LintFixtures.ExpectedLayers("rpm-sqlite")[0], p.Libc.Evidence.Layer);
        Assert.Equal("rhel", p.Os!.Id);
        Assert.Equal("glibc 2.34", p.Resolver);
    }

    [RpmFixtureFact]
    public void A_Fedora_database_over_16_MiB_behind_the_var_lib_rpm_link_is_read_with_its_own_cap()
    {
        var size = long.Parse(File.ReadAllText(Expected("rpm-sysimage.size")).Trim());
        Assert.True(size > new ImageScanOptions().MaxContentBytes, $"the fixture database is {size} bytes");
        var p = ImageDnsInspector.Inspect(LintFixtures.Oci("rpm-sysimage"));
        Assert.Equal("rpm", p.Libc.Source);
        Assert.Equal("2.34-60.el9", p.Libc.PackageVersion);
        Assert.Equal("/usr/lib/sysimage/rpm/rpmdb.sqlite", p.Libc.Evidence!.Path); // the file, not the link to its folder
        Assert.Equal(LintFixtures.ExpectedLayers("rpm-sysimage")[0], p.Libc.Evidence.Layer);
    }

    [RpmFixtureTheory]
    [InlineData("rpm-ndb", "/usr/lib/sysimage/rpm/Packages.db")]   // openSUSE: rpm's ndb format
    [InlineData("rpm-bdb", "/var/lib/rpm/Packages")]               // CentOS 7: a BerkeleyDB hash
    public void Glibc_comes_from_the_ndb_and_BerkeleyDB_databases(string tag, string path)
    {
        var p = ImageDnsInspector.Inspect(LintFixtures.Oci(tag));
        Assert.Equal(LibcFamily.Glibc, p.Libc.Family);
        Assert.Equal("rpm", p.Libc.Source);
        Assert.Equal("2.34", p.Libc.Version);
        Assert.Equal("2.34-60.el9", p.Libc.PackageVersion);
        Assert.Equal(path, p.Libc.Evidence!.Path);
        Assert.Equal(LintFixtures.ExpectedLayers(tag)[0], p.Libc.Evidence.Layer);
    }

    [RpmFixtureFact]
    public void A_truncated_database_is_noted_and_libc_so_6_answers()
    {
        var p = ImageDnsInspector.Inspect(LintFixtures.Oci("rpm-broken"));
        Assert.Equal(LibcFamily.Glibc, p.Libc.Family);
        Assert.Equal("libc-string", p.Libc.Source);
        Assert.Equal(File.ReadAllText(Expected("glibc.version")).Trim(), p.Libc.Version);
        Assert.Contains("/var/lib/rpm/rpmdb.sqlite", p.Libc.Note);
    }

    [RpmFixtureTheory]
    [InlineData("rpm-bdb.Packages")]
    [InlineData("rpm-bdb-be.Packages")]
    public void BerkeleyDB_files_of_either_byte_order_list_what_rpm_itself_reads_from_them(string file)
    {
        // expected/*.qa: `rpm --define '_db_backend bdb_ro' -qa` over the same file.
        var qa = File.ReadAllLines(Expected(Path.ChangeExtension(file, ".qa"))).Where(l => l.Length > 0).OrderBy(l => l, StringComparer.Ordinal);
        var read = RpmDatabase.Read(File.ReadAllBytes(Expected(file)), file).Select(x => x.ToString()).OrderBy(l => l, StringComparer.Ordinal);
        Assert.Equal(qa, read);
    }

    [RpmFixtureFact]
    public void BerkeleyDB_bad_pages_and_chains_are_corrupt()
    {
        var db = File.ReadAllBytes(Expected("rpm-bdb.Packages"));
        var pageSize = BinaryPrimitives.ReadInt32LittleEndian(db.AsSpan(20));
        var last = BinaryPrimitives.ReadInt32LittleEndian(db.AsSpan(32));
        AssertCorrupt(() => RpmDatabase.Read(db[..(db.Length / 2)], "t").ToList(), "beyond");

        // Each overflow page made to point at itself, and then at a page past the end.
        var loop = (byte[])db.Clone();
        var far = (byte[])db.Clone();
        var overflow = 0;
        for (var n = 1; n <= last; n++)
        {
            if (db[n * pageSize + 25] != 7 || BinaryPrimitives.ReadUInt32LittleEndian(db.AsSpan(n * pageSize + 16)) == 0) continue;
            BinaryPrimitives.WriteInt32LittleEndian(loop.AsSpan(n * pageSize + 16), n);
            BinaryPrimitives.WriteInt32LittleEndian(far.AsSpan(n * pageSize + 16), 0x7ffffff0);
            overflow++;
        }
        Assert.True(overflow > 0, "the fixture has no overflow chain of two pages or more");
        AssertCorrupt(() => RpmDatabase.Read(loop, "t").ToList(), "loops");
        AssertCorrupt(() => RpmDatabase.Read(far, "t").ToList(), "outside");

        var items = (byte[])db.Clone();
        for (var n = 1; n <= last; n++)
            if (db[n * pageSize + 25] is 2 or 13) BinaryPrimitives.WriteUInt16LittleEndian(items.AsSpan(n * pageSize + 20), 0xffff);
        AssertCorrupt(() => RpmDatabase.Read(items, "t").ToList(), "items");
    }

    [RpmFixtureFact]
    public void When_dpkg_answers_the_rpm_database_is_not_read()
    {
        // The image also holds a cut rpm database: reading it would leave a note.
        var p = ImageDnsInspector.Inspect(LintFixtures.Oci("dpkg-rpm"));
        Assert.Equal("dpkg", p.Libc.Source);
        Assert.Equal("2.36-9+deb12u14", p.Libc.PackageVersion);
        Assert.Null(p.Libc.Note);
    }

    [RpmFixtureFact]
    public void Both_databases_list_the_packages_rpm_recorded()
    {
        foreach (var (tag, path) in new[] { ("rpm-sqlite", "/var/lib/rpm/rpmdb.sqlite"), ("rpm-ndb", "/usr/lib/sysimage/rpm/Packages.db") })
        {
            var all = RpmDatabase.Read(Database(tag, path), path).ToList();
            Assert.Equal(new[] { "tzdata-1:2024a-1.el9.noarch", "glibc-2.34-60.el9.x86_64" }, all.Select(x => x.ToString()));
        }
    }

    [RpmFixtureTheory]
    [InlineData("glibc")]
    [InlineData("tzdata")]
    public void A_real_header_blob_gives_what_rpm_qp_prints(string name)
    {
        var blob = File.ReadAllBytes(Expected($"rpm-{name}.blob"));
        var q = Qf(name);
        var pkg = RpmHeader.Read(blob, name);
        Assert.Equal(q.Name, pkg.Name);
        Assert.Equal(q.Epoch, pkg.Epoch);
        Assert.Equal(q.Version, pkg.Version);
        Assert.Equal(q.Release, pkg.Release);
        Assert.Equal(q.Arch, pkg.Arch);
        Assert.Equal(name == "glibc" ? "2.34-60.el9" : "1:2024a-1.el9", pkg.Evr);
    }

    [RpmFixtureFact]
    public void Malformed_header_blobs_are_corrupt_not_a_crash()
    {
        var blob = File.ReadAllBytes(Expected("rpm-glibc.blob"));
        var il = BinaryPrimitives.ReadInt32BigEndian(blob);
        var dl = BinaryPrimitives.ReadInt32BigEndian(blob.AsSpan(4));

        AssertCorrupt(() => RpmHeader.Read(blob.AsSpan(0, blob.Length / 2), "x"), "truncated");
        AssertCorrupt(() => RpmHeader.Read(blob.AsSpan(0, 5), "x"), "shorter");

        var huge = (byte[])blob.Clone();
        BinaryPrimitives.WriteInt32BigEndian(huge, int.MaxValue);
        AssertCorrupt(() => RpmHeader.Read(huge, "x"), "index entries");
        BinaryPrimitives.WriteInt32BigEndian(huge, 0xffff);
        AssertCorrupt(() => RpmHeader.Read(huge, "x"), "truncated");

        var bigData = (byte[])blob.Clone();
        BinaryPrimitives.WriteInt32BigEndian(bigData.AsSpan(4), 0x7fffffff);
        AssertCorrupt(() => RpmHeader.Read(bigData, "x"), "bytes of data");

        var name = Entry(blob, il, RpmHeader.TagName);
        var outside = (byte[])blob.Clone();
        BinaryPrimitives.WriteInt32BigEndian(outside.AsSpan(name + 8), dl + 100);
        AssertCorrupt(() => RpmHeader.Read(outside, "x"), "outside");
        BinaryPrimitives.WriteInt32BigEndian(outside.AsSpan(name + 8), -4);
        AssertCorrupt(() => RpmHeader.Read(outside, "x"), "outside");

        // The name's string made to run to the end of the data with no NUL.
        var open = (byte[])blob.Clone();
        var at = 8 + 16 * il + BinaryPrimitives.ReadInt32BigEndian(blob.AsSpan(name + 8));
        open.AsSpan(at).Fill((byte)'x');
        AssertCorrupt(() => RpmHeader.Read(open, "x"), "NUL");
    }

    [RpmFixtureFact]
    public void Sqlite_page_loops_bad_pointers_huge_counts_and_truncation_are_corrupt()
    {
        // The Fedora fixture's Packages table has interior pages (20000 rows), and glibc's header overflows a page.
        var db = Database("rpm-sysimage", "/usr/lib/sysimage/rpm/rpmdb.sqlite");
        var reader = SqliteTableReader.Open(db, "t");
        var root = reader.FindTable("Packages")!.Value;
        var pageSize = BinaryPrimitives.ReadUInt16BigEndian(db.AsSpan(16));
        var rootAt = (int)(root - 1) * pageSize;
        Assert.Equal(0x05, db[rootAt]); // interior table page

        var loop = (byte[])db.Clone();
        BinaryPrimitives.WriteUInt32BigEndian(loop.AsSpan(rootAt + 8), root); // right-most child: the root itself
        AssertCorrupt(() => RpmDatabase.Read(loop, "t").ToList(), "loop");

        var far = (byte[])db.Clone();
        BinaryPrimitives.WriteUInt32BigEndian(far.AsSpan(rootAt + 8), 0xfffffff0);
        AssertCorrupt(() => RpmDatabase.Read(far, "t").ToList(), "outside");

        var cells = (byte[])db.Clone();
        BinaryPrimitives.WriteUInt16BigEndian(cells.AsSpan(rootAt + 3), 0xffff);
        AssertCorrupt(() => RpmDatabase.Read(cells, "t").ToList(), "cells");

        AssertCorrupt(() => RpmDatabase.Read(db[..(db.Length / 3)], "t").ToList(), "outside");
        AssertCorrupt(() => RpmDatabase.Read(db[..50], "t").ToList(), "SQLite");

        // Pointers inside overflow chains: every overflow page of the small database made to point at itself.
        var small = Database("rpm-sqlite", "/var/lib/rpm/rpmdb.sqlite");
        Assert.Contains(RpmDatabase.Read(small, "t"), x => x.Name == "glibc");
        var overflowSelf = OverflowPagesPointingAtThemselves(small);
        AssertCorrupt(() => RpmDatabase.Read(overflowSelf, "t").ToList(), "overflow");
    }

    [RpmFixtureFact]
    public void Ndb_bad_slots_and_blobs_are_corrupt()
    {
        var db = Database("rpm-ndb", "/usr/lib/sysimage/rpm/Packages.db");
        var pages = (byte[])db.Clone();
        BinaryPrimitives.WriteUInt32LittleEndian(pages.AsSpan(12), 0x7fffffff);
        AssertCorrupt(() => RpmDatabase.Read(pages, "t").ToList(), "slot pages");
        var slot = (byte[])db.Clone();
        BinaryPrimitives.WriteUInt32LittleEndian(slot.AsSpan(32 + 12), 0xfffffff); // block count of the first package
        AssertCorrupt(() => RpmDatabase.Read(slot, "t").ToList(), "outside");
        AssertCorrupt(() => RpmDatabase.Read(db[..(db.Length - 100)], "t").ToList(), "outside");
        Assert.Throws<ImageException>(() => RpmDatabase.Read(new byte[] { 1, 2, 3, 4, 5 }, "t").ToList());
    }

    [RpmFixtureFact]
    public void Thousands_of_random_byte_changes_give_packages_or_corrupt_quickly()
    {
        var inputs = new[]
        {
            Database("rpm-sqlite", "/var/lib/rpm/rpmdb.sqlite"),
            Database("rpm-ndb", "/usr/lib/sysimage/rpm/Packages.db"),
            File.ReadAllBytes(Expected("rpm-bdb.Packages")),
            File.ReadAllBytes(Expected("rpm-bdb-be.Packages")),
        };
        var rng = new Random(20240601);
        var sw = Stopwatch.StartNew();
        var corrupt = 0;
        foreach (var original in inputs)
        {
            for (var i = 0; i < 1500; i++)
            {
                var d = (byte[])original.Clone();
                for (var k = rng.Next(1, 6); k > 0; k--) d[rng.Next(i % 2 == 0 ? Math.Min(d.Length, 8192) : d.Length)] = (byte)rng.Next(256);
                try { RpmDatabase.Read(d, "t").Count(); }
                catch (ImageException) { corrupt++; }
            }
        }
        Assert.True(corrupt > 0);
        Assert.True(sw.Elapsed < TimeSpan.FromSeconds(60), $"took {sw.Elapsed}");
    }

    private static int Entry(byte[] blob, int il, int tag)
    {
        for (var i = 0; i < il; i++)
            if (BinaryPrimitives.ReadInt32BigEndian(blob.AsSpan(8 + 16 * i)) == tag) return 8 + 16 * i;
        throw new InvalidOperationException($"no tag {tag}");
    }

    /// <summary>Follows each leaf cell that spills out of its page and points its first overflow page at itself.</summary>
    private static byte[] OverflowPagesPointingAtThemselves(byte[] db)
    {
        var d = (byte[])db.Clone();
        int pageSize = BinaryPrimitives.ReadUInt16BigEndian(d.AsSpan(16));
        var usable = pageSize - d[20];
        var changed = 0;
        for (var n = 2; n * pageSize <= d.Length; n++)
        {
            var page = d.AsSpan((n - 1) * pageSize, pageSize);
            if (page[0] != 0x0d) continue;
            int cells = BinaryPrimitives.ReadUInt16BigEndian(page[3..]);
            for (var i = 0; i < cells; i++)
            {
                int at = BinaryPrimitives.ReadUInt16BigEndian(page[(8 + 2 * i)..]);
                var pos = at;
                long total = ReadVarint(page, ref pos);
                ReadVarint(page, ref pos);
                long x = usable - 35, m = ((usable - 12) * 32L / 255) - 23, k = m + ((total - m) % (usable - 4));
                if (total <= x) continue;
                var local = k <= x ? k : m;
                var first = BinaryPrimitives.ReadUInt32BigEndian(page[(pos + (int)local)..]);
                var second = BinaryPrimitives.ReadUInt32BigEndian(d.AsSpan((int)(first - 1) * pageSize));
                if (second == 0) continue;
                BinaryPrimitives.WriteUInt32BigEndian(d.AsSpan((int)(first - 1) * pageSize), first);
                changed++;
            }
        }
        Assert.True(changed > 0, "the fixture has no row with two or more overflow pages");
        return d;
    }

    private static long ReadVarint(ReadOnlySpan<byte> s, ref int pos)
    {
        long v = 0;
        for (var i = 0; i < 9; i++)
        {
            var b = s[pos++];
            if (i == 8) return (v << 8) | b;
            v = (v << 7) | (long)(b & 0x7f);
            if ((b & 0x80) == 0) break;
        }
        return v;
    }

    private static void AssertCorrupt(Action read, string contains)
    {
        var e = Assert.Throws<ImageException>(read);
        Assert.Equal(ImageErrorKind.Corrupt, e.Kind);
        Assert.Contains(contains, e.Message);
    }
}

/// <summary>Needs the fixture images and their rpm databases (Debian's rpm and python3): skipped with the reason otherwise.</summary>
public sealed class RpmFixtureFactAttribute : FactAttribute
{
    public RpmFixtureFactAttribute() => Skip = RpmFixtures.MissingReason;
}

/// <summary>As <see cref="RpmFixtureFactAttribute"/>, for theories.</summary>
public sealed class RpmFixtureTheoryAttribute : TheoryAttribute
{
    public RpmFixtureTheoryAttribute() => Skip = RpmFixtures.MissingReason;
}

internal static class RpmFixtures
{
    public static string? MissingReason
    {
        get
        {
            if (LintFixtures.MissingReason is { } reason) return reason;
            var f = Path.Combine(LintFixtures.Dir, "expected/rpm.missing");
            return File.Exists(f) ? File.ReadAllText(f).Trim() : null;
        }
    }
}
