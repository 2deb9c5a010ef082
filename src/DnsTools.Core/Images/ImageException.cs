namespace DnsTools.Core.Images;

/// <summary>What went wrong reading an image.</summary>
[Newtonsoft.Json.JsonConverter(typeof(Newtonsoft.Json.Converters.StringEnumConverter))]
public enum ImageErrorKind
{
    NotFound,
    NotAnImage,
    Corrupt,
    DigestMismatch,
    PlatformNotFound,
    UnsafePath,
    SymlinkLoop,
    LimitExceeded,
    Unsupported,
    Network,
    Unauthorized,
}

/// <summary>An image could not be read; <see cref="Input"/> names the image, layer or entry at fault.</summary>
public class ImageException : Exception
{
    public ImageException(ImageErrorKind kind, string input, string message, Exception? inner = null)
        : base(message, inner)
    {
        Kind = kind;
        Input = input;
    }

    public ImageErrorKind Kind { get; }

    /// <summary>The image, layer digest or path the error is about.</summary>
    public string Input { get; }
}
