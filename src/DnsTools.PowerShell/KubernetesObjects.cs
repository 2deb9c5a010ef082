using System.Collections;
using System.Management.Automation;
using DnsTools.Core.Images;

namespace DnsTools.PowerShell;

/// <summary>
/// Reads Kubernetes objects as `kubectl ... -o json | ConvertFrom-Json` gives them (PSCustomObjects, or hashtables
/// with -AsHashtable): a Pod (metadata, spec) or a List/PodList (items).
/// </summary>
internal static class KubernetesObjects
{
    /// <summary>A property of a PSObject or an IDictionary (case-insensitive, as JSON names are camelCase); null when absent.</summary>
    public static object? Get(object? o, string name)
    {
        o = o is PSObject p && p.BaseObject is not PSCustomObject ? p.BaseObject : o;
        switch (o)
        {
            case IDictionary d:
                foreach (DictionaryEntry e in d)
                    if (string.Equals(e.Key?.ToString(), name, StringComparison.OrdinalIgnoreCase)) return Unwrap(e.Value);
                return null;
            case PSObject ps:
                return Unwrap(ps.Properties[name]?.Value);
            default:
                return null;
        }
    }

    private static object? Unwrap(object? v) => v is PSObject p && p.BaseObject is not PSCustomObject ? p.BaseObject : v;

    public static IEnumerable<object?> Items(object? o) => o switch
    {
        null or string => Array.Empty<object?>(),
        IEnumerable e => e.Cast<object?>().Select(Unwrap),
        _ => new[] { o },
    };

    /// <summary>"namespace/name" of an object, for messages.</summary>
    public static string Describe(object? metadata) => $"{Get(metadata, "namespace") ?? "default"}/{Get(metadata, "name") ?? "?"}";

    /// <summary>The images of a pod spec: initContainers, containers, ephemeralContainers, in that order.</summary>
    public static IEnumerable<string> Images(object? spec)
    {
        foreach (var list in new[] { "initContainers", "containers", "ephemeralContainers" })
            foreach (var c in Items(Get(spec, list)))
                if (Get(c, "image") is string { Length: > 0 } image) yield return image;
    }

    /// <summary>
    /// The reference to read a pod's image by: as written when it names a registry host; a short name ("nginx:1.25")
    /// is docker.io's (distribution/reference normalize.go, as the container runtime pulls it), so registry-1.docker.io.
    /// </summary>
    public static string ImageReference(string podImage) =>
        ShortImageName.IsShortName(podImage)
            ? "registry:" + ShortImageName.DockerHubRegistry + "/" + ShortImageName.Canonical(podImage)["docker.io/".Length..]
            : podImage;
}
