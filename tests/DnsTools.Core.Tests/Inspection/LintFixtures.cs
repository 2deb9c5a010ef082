using System.Diagnostics;

namespace DnsTools.Core.Tests.Inspection;

/// <summary>
/// Real images built once per test run by tests/fixtures/New-DnsLintFixtures.sh (umoci, skopeo, the Debian
/// musl package, the host's libc.so.6). When a tool is missing, <see cref="MissingReason"/> says which and the
/// tests that need the images report themselves skipped with it.
/// </summary>
internal static class LintFixtures
{
    private static readonly Lazy<(string? Dir, string? Reason)> Built = new(Build);

    public static string Dir => Built.Value.Dir ?? throw new InvalidOperationException(Built.Value.Reason);

    public static string? MissingReason => Built.Value.Reason;

    public static string Oci(string tag) => $"oci-dir:{Path.Combine(Dir, "oci")}:{tag}";

    public static string[] ExpectedLayers(string tag) => File.ReadAllLines(Path.Combine(Dir, "expected", tag + ".layers")).Where(l => l.Length > 0).ToArray();

    public static string RepoRoot => FindRepoRoot();

    private static string FindRepoRoot()
    {
        var d = new DirectoryInfo(AppContext.BaseDirectory);
        while (d is not null && !File.Exists(Path.Combine(d.FullName, "DnsTools.sln"))) d = d.Parent;
        return d?.FullName ?? throw new InvalidOperationException("repository root not found");
    }

    private static (string?, string?) Build()
    {
        var missing = new[] { "umoci", "skopeo", "tar", "bash" }.Where(t => !OnPath(t)).ToList();
        if (!File.Exists("/usr/lib/x86_64-linux-musl/libc.so")) missing.Add("musl");
        if (!File.Exists("/lib/x86_64-linux-gnu/libc.so.6")) missing.Add("libc6 (x86_64)");
        if (missing.Count > 0)
        {
            var apt = Environment.GetEnvironmentVariable("DNSTOOLS_APT_UNAVAILABLE");
            return (null, $"needs {string.Join(", ", missing)}" + (string.IsNullOrEmpty(apt) ? "" : $" ({apt})"));
        }
        var dir = Path.Combine(Path.GetTempPath(), "dnstools-lintfx-" + Guid.NewGuid().ToString("n")[..10]);
        var psi = new ProcessStartInfo("bash") { RedirectStandardOutput = true, RedirectStandardError = true };
        psi.ArgumentList.Add(Path.Combine(RepoRoot, "tests/fixtures/New-DnsLintFixtures.sh"));
        psi.ArgumentList.Add(dir);
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEnd();
        p.WaitForExit();
        if (p.ExitCode == 3) return (null, "New-DnsLintFixtures.sh: " + stderr.Trim());
        if (p.ExitCode != 0) throw new InvalidOperationException($"New-DnsLintFixtures.sh failed ({p.ExitCode}): {stderr}{stdout.Result}");
        AppDomain.CurrentDomain.ProcessExit += (_, _) => { try { Directory.Delete(dir, true); } catch (IOException) { } };
        return (dir, null);
    }

    private static bool OnPath(string tool) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':').Any(d => d.Length > 0 && File.Exists(Path.Combine(d, tool)));
}

/// <summary>A fact that needs the real fixture images: skipped, with the reason, when they cannot be built here.</summary>
public sealed class ImageFixtureFactAttribute : FactAttribute
{
    /// <param name="needs">Programs (looked up on PATH) or absolute paths an image of the test needs, e.g. "musl-gcc", "/bin/busybox".</param>
    public ImageFixtureFactAttribute(params string[] needs)
    {
        var missing = needs.Where(n => n.StartsWith('/') ? !File.Exists(n)
            : !(Environment.GetEnvironmentVariable("PATH") ?? "").Split(':').Any(d => d.Length > 0 && File.Exists(Path.Combine(d, n)))).ToList();
        if (missing.Count > 0) Skip = $"needs {string.Join(", ", missing)}";
        else if (LintFixtures.MissingReason is { } reason) Skip = reason;
    }
}

/// <summary>As <see cref="ImageFixtureFactAttribute"/>, for theories.</summary>
public sealed class ImageFixtureTheoryAttribute : TheoryAttribute
{
    public ImageFixtureTheoryAttribute()
    {
        if (LintFixtures.MissingReason is { } reason) Skip = reason;
    }
}
