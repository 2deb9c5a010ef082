using System.Management.Automation;
using DnsTools.Core.Images;

namespace DnsTools.PowerShell.Commands;

/// <summary>Reads files from an image's merged file system, without a container runtime.</summary>
[Cmdlet(VerbsCommon.Get, "ImageFile", DefaultParameterSetName = "Path")]
[OutputType(typeof(ImageFileInfo), typeof(byte[]), typeof(string))]
public sealed class GetImageFileCommand : ImageCommandBase
{
    /// <summary>Paths inside the image; * ? and [..] match within one path segment.</summary>
    [Parameter(Position = 1, ValueFromPipelineByPropertyName = true, ParameterSetName = "Path")]
    [ValidateNotNullOrEmpty]
    [SupportsWildcards]
    public string[] Path { get; set; } = { "/" };

    /// <summary>Paths inside the image, taken literally (no wildcards).</summary>
    [Parameter(Mandatory = true, ValueFromPipelineByPropertyName = true, ParameterSetName = "LiteralPath")]
    [ValidateNotNullOrEmpty]
    public string[]? LiteralPath { get; set; }

    [Parameter]
    public SwitchParameter Recurse { get; set; }

    [Parameter]
    public SwitchParameter AsByteStream { get; set; }

    [Parameter]
    public SwitchParameter Raw { get; set; }

    [Parameter]
    [ValidateRange(1, long.MaxValue)]
    public long MaxDecompressedBytes { get; set; } = 8L << 30;

    [Parameter]
    [ValidateRange(0, int.MaxValue)]
    public long MaxContentBytes { get; set; } = 16 << 20;

    /// <summary>Most entries of the merged file system held in memory (ImageScanOptions.MaxEntries).</summary>
    [Parameter]
    [ValidateRange(1, int.MaxValue)]
    public int MaxEntries { get; set; } = new ImageScanOptions().MaxEntries;

    /// <summary>Most decompressed bytes a compressed layer may give per compressed byte (ImageScanOptions.MaxCompressionRatio).</summary>
    [Parameter]
    [ValidateRange(1, int.MaxValue)]
    public int MaxCompressionRatio { get; set; } = new ImageScanOptions().MaxCompressionRatio;

    /// <summary>Longest entry name or link target a layer may hold (ImageScanOptions.MaxPathLength).</summary>
    [Parameter]
    [ValidateRange(1, int.MaxValue)]
    public int MaxPathLength { get; set; } = ImageScanOptions.DefaultMaxPathLength;

    private void WriteRun(IReadOnlyList<ImageFileInfo> files, int start, int end)
    {
        if (end <= start) return;
        WriteObject(start == 0 && end == files.Count ? files : files.Skip(start).Take(end - start), enumerateCollection: true);
    }

    protected override void ProcessRecord()
    {
        if ((AsByteStream || Raw) && Recurse)
        {
            ThrowTerminatingError(new ErrorRecord(new ArgumentException("-AsByteStream and -Raw read files' content; they cannot be used with -Recurse."), "ContentWithRecurse", ErrorCategory.InvalidArgument, null));
        }
        if (AsByteStream && Raw)
        {
            ThrowTerminatingError(new ErrorRecord(new ArgumentException("Use -AsByteStream (bytes) or -Raw (text), not both."), "AsByteStreamWithRaw", ErrorCategory.InvalidArgument, null));
        }
        using var source = OpenImage();
        if (source is null) return;
        var options = ScanOptions(Image, new ImageScanOptions { MaxDecompressedBytes = MaxDecompressedBytes, MaxContentBytes = MaxContentBytes, MaxEntries = MaxEntries, MaxPathLength = MaxPathLength, MaxCompressionRatio = MaxCompressionRatio });
        try
        {
            var files = LiteralPath is not null
                ? ImageFileReader.Read(source, LiteralPath, Recurse, options, WriteImageError, Token)
                : ImagePathPattern.Read(source, Path, Recurse, options, WriteImageError, Token);
            if (Recurse && !AsByteStream && !Raw)
            {
                // A listing goes out in runs, one pipeline call each rather than one per entry (tens of thousands);
                // a dangling link's warning still comes just before it.
                var start = 0;
                for (var i = 0; i < files.Count; i++)
                {
                    if (!files[i].IsDangling) continue;
                    WriteRun(files, start, i);
                    WriteWarning($"{files[i].Path} is a dangling symbolic link (-> {files[i].LinkTarget}) in {Image}.");
                    start = i;
                }
                WriteRun(files, start, files.Count);
                return;
            }
            foreach (var f in files)
            {
                if (f.IsDangling) WriteWarning($"{f.Path} is a dangling symbolic link (-> {f.LinkTarget}) in {Image}.");
                if (AsByteStream)
                {
                    var bytes = f.GetContentBytes();
                    if (bytes is null)
                    {
                        WriteError(new ErrorRecord(new InvalidOperationException($"'{f.Path}' in {Image} is a {f.Type} whose bytes were not read (not a regular file, or larger than -MaxContentBytes)."), "ImageFileNoContent", ErrorCategory.InvalidType, f.Path));
                        continue;
                    }
                    WriteObject(bytes, enumerateCollection: false);
                    continue;
                }
                if (Raw)
                {
                    if (f.Content is null)
                    {
                        WriteError(new ErrorRecord(new InvalidOperationException($"'{f.Path}' in {Image} has no text content: a {f.Type}{(f.IsDangling ? " that leads nowhere" : "")}, a binary file (use -AsByteStream), or larger than -MaxContentBytes."), "ImageFileNoText", ErrorCategory.InvalidType, f.Path));
                        continue;
                    }
                    WriteObject(f.Content);
                    continue;
                }
                if (!Recurse && f.Content is null && f.ResolvedPath is not null && f.Type is ImageFileType.File or ImageFileType.HardLink or ImageFileType.SymbolicLink
                    && f.GetContentBytes() is null && MaxContentBytes > 0 && !f.IsDangling)
                {
                    WriteVerbose($"{f.Path}: content not kept (larger than -MaxContentBytes {MaxContentBytes}, or not a regular file)");
                }
                WriteObject(f);
            }
        }
        catch (ImageException e)
        {
            WriteImageError(e);
        }
        catch (OperationCanceledException) when (Token.IsCancellationRequested)
        {
            // Stopped (Ctrl+C): the engine ends the pipeline.
        }
        finally
        {
            CompleteProgress(Image);
        }
    }
}
