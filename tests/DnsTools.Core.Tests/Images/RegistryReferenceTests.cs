using DnsTools.Core.Images;

namespace DnsTools.Core.Tests.Images;

public class RegistryReferenceTests
{
    [Theory]
    [InlineData("127.0.0.1:5000/team/app:1.4", "127.0.0.1:5000", "team/app", "1.4", true)]
    [InlineData("localhost:5000/app", "localhost:5000", "app", null, true)]
    [InlineData("[::1]:5000/a/b/c:x", "[::1]:5000", "a/b/c", "x", true)]
    [InlineData("registry.example.test/team/app:1", "registry.example.test", "team/app", "1", false)]
    [InlineData("10.1.2.3:5000/app:1", "10.1.2.3:5000", "app", "1", false)]
    public void Parses_host_repository_tag(string text, string host, string repo, string? tag, bool loopback)
    {
        var r = RegistryReference.Parse(text);
        Assert.Equal((host, repo, tag, loopback), (r.Host, r.Repository, r.Tag, r.IsLoopback));
        Assert.Equal(tag ?? "latest", r.Reference);
    }

    [Fact]
    public void Pins_by_digest()
    {
        var d = "sha256:" + new string('a', 64);
        var r = RegistryReference.Parse("127.0.0.1:5000/app@" + d);
        Assert.Equal((d, d), (r.Digest, r.Reference));
    }

    [Theory]
    [InlineData("team/app:1.4")]              // no host
    [InlineData("127.0.0.1:5000/Team/app")]   // upper case
    [InlineData("127.0.0.1:5000/../app")]
    [InlineData("127.0.0.1:5000/app@sha256:xyz")]
    public void Refuses_bad_references(string text) =>
        Assert.Throws<ImageException>(() => RegistryReference.Parse(text));

    [Fact]
    public void Parses_bearer_challenges()
    {
        var p = RegistrySource.ParseChallenge("realm=\"http://127.0.0.1:5001/token\",service=\"reg\",scope=\"repository:team/app:pull\"");
        Assert.Equal("http://127.0.0.1:5001/token", p["realm"]);
        Assert.Equal("reg", p["service"]);
        Assert.Equal("repository:team/app:pull", p["scope"]);
    }
}
