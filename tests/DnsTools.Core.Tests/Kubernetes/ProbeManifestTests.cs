using System.Diagnostics;
using k8s;
using k8s.Models;

namespace DnsTools.Core.Tests.Kubernetes;

/// <summary>
/// examples/kubernetes/: the manifests are what the Kubernetes API accepts (read strictly with the
/// KubernetesClient model types: an unknown or misspelt field is an error), and every probe they run
/// gets the arguments of the kubectl debug recipe, which the podman pod test runs (ProbeImage.Tests.ps1).
/// </summary>
public sealed class ProbeManifestTests
{
    private static readonly string Dir = Path.Combine(RepoRoot(), "examples", "kubernetes");

    private static string RepoRoot()
    {
        var d = new DirectoryInfo(AppContext.BaseDirectory);
        while (d is not null && !File.Exists(Path.Combine(d.FullName, "DnsTools.sln"))) d = d.Parent;
        return d?.FullName ?? throw new InvalidOperationException("DnsTools.sln not found above " + AppContext.BaseDirectory);
    }

    /// <summary>PROBE_ARGS as bash expands it from the recipe (sourcing it runs no kubectl).</summary>
    private static IReadOnlyList<string> RecipeArguments()
    {
        var psi = new ProcessStartInfo("bash") { RedirectStandardOutput = true, RedirectStandardError = true };
        psi.ArgumentList.Add("-c");
        psi.ArgumentList.Add($". '{Path.Combine(Dir, "kubectl-debug.sh")}'; printf '%s\\n' \"${{PROBE_ARGS[@]}}\"");
        using var p = Process.Start(psi)!;
        var output = p.StandardOutput.ReadToEnd();
        Assert.True(p.WaitForExit(10_000));
        Assert.Equal(0, p.ExitCode);
        return output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
    }

    private static List<object> Load(string file) => KubernetesYaml.LoadAllFromString(File.ReadAllText(Path.Combine(Dir, file)), strict: true);

    [Fact]
    public void DaemonSetsRunTheRecipeOnEveryNodeWithTheNodesAndAPodsDnsConfig()
    {
        var sets = Load("daemonset.yaml").Cast<V1DaemonSet>().ToList();
        Assert.Equal(2, sets.Count);
        var node = sets.Single(d => d.Spec.Template.Spec.HostNetwork == true);
        Assert.Equal("Default", node.Spec.Template.Spec.DnsPolicy);
        var pod = sets.Single(d => d.Spec.Template.Spec.HostNetwork != true);
        Assert.Equal("ClusterFirst", pod.Spec.Template.Spec.DnsPolicy);
        var recipe = RecipeArguments();
        foreach (var set in sets)
        {
            // Every node, tainted ones too; the selector picks the template's own pods.
            Assert.Contains(set.Spec.Template.Spec.Tolerations, t => t.OperatorProperty == "Exists" && t.Key is null);
            foreach (var (k, v) in set.Spec.Selector.MatchLabels) Assert.Equal(v, set.Spec.Template.Metadata.Labels[k]);
            var c = Assert.Single(set.Spec.Template.Spec.Containers);
            Assert.Equal("probe", c.Name);
            Assert.Matches(@"/dnstools-probe:\d+\.\d+\.\d+$", c.Image);
            Assert.Equal(recipe.Concat(new[] { "--wait" }), c.Args);
            Assert.Equal(false, c.SecurityContext.AllowPrivilegeEscalation);
        }
    }

    [Fact]
    public void JobRunsTheRecipeWithRepeatedLookups()
    {
        var job = Assert.IsType<V1Job>(Assert.Single(Load("job.yaml")));
        var spec = job.Spec.Template.Spec;
        Assert.Equal("Never", spec.RestartPolicy);
        Assert.Equal("ClusterFirst", spec.DnsPolicy);
        var c = Assert.Single(spec.Containers);
        Assert.Equal(RecipeArguments().Concat(new[] { "--count", "20" }), c.Args);
        Assert.Equal(0, job.Spec.BackoffLimit);
    }

    [Fact]
    public void StrictReadingRefusesAnUnknownField()
    {
        // The check above is only worth something if a typo fails: the same Job with a misspelt field.
        var yaml = File.ReadAllText(Path.Combine(Dir, "job.yaml")).Replace("restartPolicy: Never", "restartPolicy: Never\n      dnsPolcy: Default");
        var e = Assert.ThrowsAny<Exception>(() => KubernetesYaml.LoadAllFromString(yaml, strict: true));
        Assert.Contains("dnsPolcy", e.ToString());
    }
}
