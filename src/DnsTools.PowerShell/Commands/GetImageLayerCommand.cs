using System.Management.Automation;
using DnsTools.Core.Images;

namespace DnsTools.PowerShell.Commands;

/// <summary>Lists an image's layers, bottom to top, from its manifest (no layer is read).</summary>
[Cmdlet(VerbsCommon.Get, "ImageLayer")]
[OutputType(typeof(ImageLayerInfo))]
public sealed class GetImageLayerCommand : ImageCommandBase
{
    protected override void ProcessRecord()
    {
        using var source = OpenImage();
        if (source is null) return;
        WriteVerbose($"{Image}: {source.Reference.Transport} {source.Platform} manifest {source.ManifestDigest}, {source.Layers.Count} layers");
        foreach (var layer in source.Layers) WriteObject(layer);
    }
}
