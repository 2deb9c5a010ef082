using System.Text;
using DnsTools.Core.Images;

namespace DnsTools.Core.Tests.Images;

public class DockerConfigCredentialsTests
{
    private static string Config(string json)
    {
        var dir = Path.Combine(Path.GetTempPath(), "dnstools-dockercfg-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        File.WriteAllText(Path.Combine(dir, "config.json"), json);
        return dir;
    }

    [Fact]
    public void Reads_auth_for_the_host_in_any_key_form()
    {
        var auth = Convert.ToBase64String(Encoding.UTF8.GetBytes("alice:pa:ss"));
        var dir = Config($$"""{ "auths": { "https://other.example/v1/": { "auth": "eDp5" }, "https://reg.example:5000/v1/": { "auth": "{{auth}}" } } }""");
        try
        {
            Assert.Equal(("alice", "pa:ss"), DockerConfigCredentials.Find("reg.example:5000", dir));
            Assert.Null(DockerConfigCredentials.Find("reg.example", dir));
        }
        finally { Directory.Delete(dir, true); }
    }

    [Fact]
    public void Reads_username_and_password_and_ignores_a_broken_file()
    {
        var dir = Config("""{ "auths": { "reg.example": { "username": "bob", "password": "pw" } } }""");
        var broken = Config("{ not json");
        try
        {
            Assert.Equal(("bob", "pw"), DockerConfigCredentials.Find("reg.example", dir));
            Assert.Null(DockerConfigCredentials.Find("reg.example", broken));
            Assert.Null(DockerConfigCredentials.Find("reg.example", Path.Combine(dir, "missing")));
        }
        finally { Directory.Delete(dir, true); Directory.Delete(broken, true); }
    }
}
