namespace DnsTools.Core.Images;

/// <summary>The type of a file in an image.</summary>
[Newtonsoft.Json.JsonConverter(typeof(Newtonsoft.Json.Converters.StringEnumConverter))]
public enum ImageFileType { File, Directory, SymbolicLink, HardLink, CharacterDevice, BlockDevice, Fifo, Other }
