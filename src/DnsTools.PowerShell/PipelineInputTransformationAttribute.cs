using System.Collections;
using System.Management.Automation;
using DnsTools.Core.Diagnosis;
using DnsTools.Core.Images;
using DnsTools.Core.Inspection;
using DnsTools.Core.Lab;
using DnsTools.Core.ResolvConf;

namespace DnsTools.PowerShell;

/// <summary>What a cmdlet's pipeline parameter takes (see <see cref="PipelineInputTransformationAttribute"/>).</summary>
[Flags]
public enum PipelineInputKinds
{
    None = 0,
    /// <summary>Strings (names, image references, text lines).</summary>
    Text = 1,
    /// <summary>Objects with a string Name or HostName property: the property's value.</summary>
    NameProperty = 2,
    /// <summary>Objects with a string Image property (or FullName, a file): the property's value.</summary>
    ImageProperty = 4,
    /// <summary>Files (FileInfo from Get-ChildItem, objects with a FullName or PSPath): a <see cref="PipelinePath"/>.</summary>
    File = 8,
    ResolvConf = 16,
    LabServer = 32,
    ObservedQuery = 64,
    ImageDnsProfile = 128,
    /// <summary>Kubernetes pods and pod lists as ConvertFrom-Json reads kubectl's JSON: their container images, as <see cref="KubernetesImageReference"/>s.</summary>
    KubernetesPods = 256,
}

/// <summary>One container image of a piped pod: the reference to read it by, and where it came from. Its text is the reference.</summary>
public sealed record KubernetesImageReference(string Reference, string PodImage, string Pod)
{
    public override string ToString() => Reference;
}

/// <summary>A file that came down the pipeline, taken literally (no wildcards: Get-ChildItem already resolved it).</summary>
public sealed record PipelinePath(string Path)
{
    public override string ToString() => Path;
}

/// <summary>
/// The one pipeline parameter of a cmdlet takes exactly the kinds it names and refuses everything else at binding time.
/// Why: PowerShell coerces a pipeline object to a string parameter with ToString(), so a ResolvConf piped into
/// Test-PodDnsLatency was looked up as a name and a lab server as "DNS lab server on …"; and a transformation on a
/// parameter that binds from the pipeline makes PowerShell coerce whatever it returns, so the attribute either turns
/// the object into what the cmdlet dispatches on or throws (a ParameterBindingArgumentTransformationException naming
/// the object's type and what the cmdlet takes).
/// </summary>
[AttributeUsage(AttributeTargets.Property | AttributeTargets.Field)]
public sealed class PipelineInputTransformationAttribute(PipelineInputKinds kinds, string accepted) : ArgumentTransformationAttribute
{
    public PipelineInputKinds Kinds { get; } = kinds;

    /// <summary>What the cmdlet takes, in words, for the binding error.</summary>
    public string Accepted { get; } = accepted;

    public override object? Transform(EngineIntrinsics engineIntrinsics, object? inputData)
    {
        var value = inputData is PSObject p ? p.BaseObject : inputData;
        if (value is null) return null;
        if (Kinds.HasFlag(PipelineInputKinds.KubernetesPods) && PodImages(inputData) is { } podImages) return podImages;
        // -InputObject 'a', $rc given as an argument: each item on its own.
        if (value is IList list && value is not string)
        {
            var items = new object?[list.Count];
            for (var i = 0; i < list.Count; i++) items[i] = One(list[i]);
            return items;
        }
        return One(inputData);
    }

    private object One(object? item)
    {
        var pso = item as PSObject;
        var value = pso is null ? item : pso.BaseObject;
        switch (value)
        {
            case string s when Kinds.HasFlag(PipelineInputKinds.Text):
                return s;
            case ResolvConf conf when Kinds.HasFlag(PipelineInputKinds.ResolvConf):
                return conf;
            case DnsLabServer lab when Kinds.HasFlag(PipelineInputKinds.LabServer):
                return lab;
            case ObservedQuery query when Kinds.HasFlag(PipelineInputKinds.ObservedQuery):
                return query;
            case ImageDnsProfile profile when Kinds.HasFlag(PipelineInputKinds.ImageDnsProfile):
                return profile;
            case ImageLayerInfo layer:
                // A layer carries its image's reference: binding it would read the whole image once per layer.
                throw Refuse(value, $" Layer {layer.Index} of {layer.Image} is not an image: pipe the image reference (Get-ImageFile reads the merged file system of all layers).");
        }
        var wrapped = pso ?? PSObject.AsPSObject(value!);
        if (Kinds.HasFlag(PipelineInputKinds.NameProperty) && (StringProperty(wrapped, "Name") ?? StringProperty(wrapped, "HostName")) is { } name)
            return name;
        if (Kinds.HasFlag(PipelineInputKinds.ImageProperty) && (StringProperty(wrapped, "Image") ?? StringProperty(wrapped, "FullName")) is { } image)
            return image;
        if (Kinds.HasFlag(PipelineInputKinds.File) && (StringProperty(wrapped, "PSPath") ?? StringProperty(wrapped, "FullName")) is { } path)
            return new PipelinePath(path);
        throw Refuse(value, string.Empty);
    }

    /// <summary>
    /// The container images (initContainers, containers, ephemeralContainers) of a pod or of every pod of a list, each
    /// reference once; null when the object is neither.
    /// </summary>
    private static KubernetesImageReference[]? PodImages(object? item)
    {
        var pods = KubernetesObjects.Get(item, "items") is { } list && KubernetesObjects.Get(item, "spec") is null
            ? KubernetesObjects.Items(list).ToList()
            : KubernetesObjects.Get(item, "spec") is not null && KubernetesObjects.Get(item, "metadata") is not null ? new List<object?> { item } : null;
        if (pods is null) return null;
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var result = new List<KubernetesImageReference>();
        foreach (var pod in pods)
        {
            var metadata = KubernetesObjects.Get(pod, "metadata");
            foreach (var image in KubernetesObjects.Images(KubernetesObjects.Get(pod, "spec")))
            {
                if (seen.Add(image)) result.Add(new KubernetesImageReference(KubernetesObjects.ImageReference(image), image, KubernetesObjects.Describe(metadata)));
            }
        }
        return result.ToArray();
    }

    private ArgumentTransformationMetadataException Refuse(object? value, string why) =>
        new($"A {value?.GetType().FullName ?? "null"} cannot be used here: this command takes {Accepted}.{why}");

    private static string? StringProperty(PSObject o, string name)
    {
        var v = o.Properties[name]?.Value;
        return (v is PSObject p ? p.BaseObject : v) is string { Length: > 0 } s ? s : null;
    }
}
