using System.Text.Json;

namespace DnsTools.Core.Images;

/// <summary>What the image config says to run (its "config" object): Entrypoint, Cmd, Env, WorkingDir, User.</summary>
public sealed class ImageRunConfig
{
    public IReadOnlyList<string> Entrypoint { get; init; } = Array.Empty<string>();
    public IReadOnlyList<string> Cmd { get; init; } = Array.Empty<string>();
    public IReadOnlyList<string> Env { get; init; } = Array.Empty<string>();
    public string? WorkingDir { get; init; }
    public string? User { get; init; }

    /// <summary>Entrypoint followed by Cmd: the command line a container starts with.</summary>
    public IReadOnlyList<string> Command => Entrypoint.Concat(Cmd).ToList();

    /// <summary>Reads the "config" object of an image config document (OCI image-spec config.md; docker's image JSON is the same).</summary>
    internal static ImageRunConfig FromImageConfig(JsonElement imageConfig)
    {
        var c = imageConfig.Prop("config");
        static string[] Strings(JsonElement parent, string name) => parent.Prop(name).Items().Select(x => x.AsString()).OfType<string>().ToArray();
        return new ImageRunConfig
        {
            Entrypoint = Strings(c, "Entrypoint"),
            Cmd = Strings(c, "Cmd"),
            Env = Strings(c, "Env"),
            WorkingDir = c.Str("WorkingDir") is { Length: > 0 } w ? w : null,
            User = c.Str("User") is { Length: > 0 } u ? u : null,
        };
    }

    public override string ToString() => string.Join(' ', Command);
}
