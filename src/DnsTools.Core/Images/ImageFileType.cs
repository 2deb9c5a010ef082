namespace DnsTools.Core.Images;

/// <summary>The type of a file in an image.</summary>
public enum ImageFileType { File, Directory, SymbolicLink, HardLink, CharacterDevice, BlockDevice, Fifo, Other }
