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
