using System.Diagnostics;
using DnsTools.Fuzz;

namespace DnsTools.Core.Tests.Fuzz;

/// <summary>
/// Replays the fuzz corpus and every input afl++ found (tests/fuzz/corpus/HARNESS/, tests/fuzz/crashes/HARNESS/)
/// through the same harnesses the fuzzer runs: each must end normally or in the surface's own error, within a
/// bounded time. Inputs found for code another change has yet to fix wait in tests/fuzz/pending/ (not replayed).
/// </summary>
public class FuzzRegressionTests
{
    /// <summary>A hang guard, not a benchmark: an input under 1 MB must take under 2 s (issue 15); the replay allows for a loaded machine.</summary>
    private static readonly TimeSpan HangGuard = TimeSpan.FromSeconds(10);

    internal static string RepoRoot()
    {
        if (Environment.GetEnvironmentVariable("DNSTOOLS_REPO_ROOT") is { Length: > 0 } root && File.Exists(Path.Combine(root, "DnsTools.sln"))) return root;
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "DnsTools.sln"))) return dir.FullName;
        throw new DirectoryNotFoundException("the repository root (DnsTools.sln) is not above " + AppContext.BaseDirectory);
    }

    public static TheoryData<string, string> Inputs()
    {
        var data = new TheoryData<string, string>();
        var fuzz = Path.Combine(RepoRoot(), "tests", "fuzz");
        foreach (var folder in new[] { "corpus", "crashes" })
        {
            var dir = Path.Combine(fuzz, folder);
            if (!Directory.Exists(dir)) continue;
            foreach (var harnessDir in Directory.GetDirectories(dir).OrderBy(d => d, StringComparer.Ordinal))
                foreach (var file in Directory.GetFiles(harnessDir).OrderBy(f => f, StringComparer.Ordinal))
                    data.Add(Path.GetFileName(harnessDir), Path.GetRelativePath(fuzz, file));
        }
        return data;
    }

    [Fact]
    public void Every_harness_has_a_seed_corpus()
    {
        var corpus = Path.Combine(RepoRoot(), "tests", "fuzz", "corpus");
        foreach (var name in Harnesses.All.Keys)
            Assert.True(Directory.Exists(Path.Combine(corpus, name)) && Directory.GetFiles(Path.Combine(corpus, name)).Length > 0, $"no seeds for {name}");
    }

    /// <summary>
    /// The package-database seeds cover each database the pkgdb harness writes (its first byte % 4 picks apk, dpkg, rpm
    /// sqlite or rpm BerkeleyDB), and the rpm ones are real databases the product reads: an rpm 4.18 sqlite database
    /// (rpm --initdb / -i --justdb, compacted by sqlite's VACUUM; `rpm -qa` lists glibc-2.34-60.el9 from it) and the
    /// BerkeleyDB Packages files the fixture script writes with db5.3_load, little- and big-endian (rpm's bdb_ro lists
    /// the same), so afl++ starts from their structure.
    /// </summary>
    [Fact]
    public void The_package_database_seeds_cover_every_database_and_the_rpm_ones_profile_as_rpm_glibc()
    {
        var dir = Path.Combine(RepoRoot(), "tests", "fuzz", "corpus", "pkgdb");
        var seeds = Directory.GetFiles(dir).ToDictionary(f => Path.GetFileName(f), File.ReadAllBytes);
        Assert.Equal(new[] { 0, 1, 2, 3 }, seeds.Values.Select(b => b[0] % 4).Distinct().Order());
        foreach (var (name, bytes) in seeds.Where(s => s.Value[0] % 4 >= 2))
        {
            var root = Directory.CreateTempSubdirectory("dnstools-rpmseed-").FullName;
            try
            {
                var path = Path.Combine(root, bytes[0] % 4 == 2 ? "var/lib/rpm/rpmdb.sqlite" : "var/lib/rpm/Packages");
                Directory.CreateDirectory(Path.GetDirectoryName(path)!);
                File.WriteAllBytes(path, bytes[1..]);
                var p = DnsTools.Core.Inspection.ImageDnsInspector.Inspect("dir:" + root);
                Assert.True(p.Libc.Source == "rpm", $"{name}: {p.Libc.Source} {p.Libc.Note}");
                Assert.Equal("2.34", p.Libc.Version);
                Assert.Equal("2.34-60.el9", p.Libc.PackageVersion);
            }
            finally { Directory.Delete(root, true); }
        }
    }

    [Theory]
    [MemberData(nameof(Inputs))]
    public async Task Input_ends_normally_or_in_the_surface_s_own_error(string harness, string input)
    {
        Assert.True(Harnesses.All.TryGetValue(harness, out var h), $"tests/fuzz/{input}: no harness '{harness}'");
        var bytes = File.ReadAllBytes(Path.Combine(RepoRoot(), "tests", "fuzz", input));
        var clock = Stopwatch.StartNew();
        var run = Task.Run(() => h!.Check(bytes));
        var finished = await Task.WhenAny(run, Task.Delay(HangGuard));
        Assert.True(finished == run, $"tests/fuzz/{input}: still running after {HangGuard.TotalSeconds} s");
        Assert.Null(await run);
        Assert.True(clock.Elapsed < HangGuard, $"tests/fuzz/{input}: took {clock.Elapsed.TotalSeconds:0.0} s");
    }
}
