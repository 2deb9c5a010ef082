using System.Net;
using System.Text;
using DnsTools.Core.Dns;

namespace DnsTools.Fuzz;

/// <summary>
/// The generated part of the seed corpus (DnsTools.Fuzz --write-seeds DIR): small valid inputs of each
/// surface, built with the product's own writers, so afl++ starts from structure it can mutate. Files
/// taken from real tools (tcpdump captures, compiled binaries) are added to the corpus by hand.
/// </summary>
public static class Seeds
{
    public static void Write(string root)
    {
        foreach (var (harness, name, bytes) in All())
        {
            var dir = Path.Combine(root, harness);
            Directory.CreateDirectory(dir);
            File.WriteAllBytes(Path.Combine(dir, name), bytes);
        }
    }

    private static IEnumerable<(string Harness, string Name, byte[] Bytes)> All()
    {
        var query = DnsWire.BuildQuery(0x1234, "api.default.svc.cluster.local.", DnsWire.TypeA);
        var edns = DnsWire.BuildQuery(0x4321, "example.com.", DnsWire.TypeAaaa, authenticData: true, ednsUdpSize: 1232);
        var answer = DnsWire.BuildResponse(DnsWire.Parse(query), DnsRcode.NoError, new[] { IPAddress.Parse("10.0.0.1"), IPAddress.Parse("10.0.0.2") });
        var nx = DnsWire.BuildResponse(DnsWire.Parse(edns), DnsRcode.NxDomain, Array.Empty<IPAddress>());
        var aaaa = DnsWire.BuildResponse(DnsWire.Parse(edns), DnsRcode.NoError, new[] { IPAddress.Parse("fd00::1") }, truncated: true);
        yield return ("dns-wire", "query-a", query);
        yield return ("dns-wire", "query-aaaa-edns", edns);
        yield return ("dns-wire", "answer-a", answer);
        yield return ("dns-wire", "nxdomain", nx);
        yield return ("dns-wire", "answer-aaaa-tc", aaaa);

        var udp = new[] { (1.0001, Frames.Udp("10.244.0.5", 40000, "10.96.0.10", 53, query)), (1.0011, Frames.Udp("10.96.0.10", 53, "10.244.0.5", 40000, answer)) };
        yield return ("pcap", "pcap-ethernet", Frames.Pcap(1, udp));
        yield return ("pcap", "pcapng-raw-ip", Frames.PcapNg(101, new[] { (2.5, Frames.Udp("10.244.0.5", 40001, "10.96.0.10", 53, edns, ethernet: false)), (2.6, Frames.Udp("10.96.0.10", 53, "10.244.0.5", 40001, nx, ethernet: false)) }));
        yield return ("pcap", "pcap-tcp", Frames.Pcap(1, new[] { (3.0, Frames.Tcp("10.244.0.5", 40002, "10.96.0.10", 53, query)), (3.1, Frames.Tcp("10.96.0.10", 53, "10.244.0.5", 40002, answer)) }));
        yield return ("pcap", "pcap-ipv6", Frames.Pcap(1, new[] { (4.0, Frames.Udp6("fd00::5", 40003, "fd00::10", 53, edns)), (4.1, Frames.Udp6("fd00::10", 53, "fd00::5", 40003, aaaa)) }));

        yield return ("tcpdump-text", "musl-servfail", Encoding.UTF8.GetBytes(
            "09:13:49.074130 IP 10.0.0.5.40000 > 10.96.0.10.53: 47843+ A? api.ns.svc.cluster.local. (42)\n" +
            "09:13:49.074140 IP 10.0.0.5.40000 > 10.96.0.10.53: 47844+ AAAA? api.ns.svc.cluster.local. (42)\n" +
            "09:13:49.075130 IP 10.96.0.10.53 > 10.0.0.5.40000: 47843 NXDomain*- 0/1/0 (135)\n" +
            "09:13:49.075200 IP 10.96.0.10.53 > 10.0.0.5.40000: 47844 ServFail- 0/0/0 (42)\n" +
            "09:13:49.075300 IP 10.0.0.5.40000 > 10.96.0.10.53: 47844+ AAAA? api.ns.svc.cluster.local. (42)\n" +
            "09:13:49.080000 IP 10.0.0.5.40001 > 10.96.0.10.53: 5+ [1au] A? api. (32)\n" +
            "09:13:49.081000 IP 10.96.0.10.53 > 10.0.0.5.40001: 5 1/0/1 A 192.0.2.1 (48)\n"));
        yield return ("tcpdump-text", "any-interface-ipv6", Encoding.UTF8.GetBytes(
            "23:59:59.999999 eth0 Out IP6 fd00::5.40000 > fd00::10.domain: 1+ AAAA? x.example. (27)\n" +
            "00:00:00.000100 eth0 In  IP6 fd00::10.domain > fd00::5.40000: 1 1/0/0 AAAA fd00::1 (55)\n"));

        yield return ("resolv-conf", "kubernetes", Encoding.UTF8.GetBytes("search default.svc.cluster.local svc.cluster.local cluster.local\nnameserver 10.96.0.10\noptions ndots:5\n"));
        yield return ("resolv-conf", "options", Encoding.UTF8.GetBytes("# comment\ndomain example.com\nnameserver 127.0.0.1\nnameserver fe80::1%eth0\nnameserver ::1\nnameserver 10.0.0.1\noptions timeout:1 attempts:3 rotate single-request-reopen edns0 trust-ad use-vc no-aaaa\n"));
        yield return ("resolv-conf", "search-long", Encoding.UTF8.GetBytes("search a.example b.example c.example d.example e.example f.example g.example\nnameserver 10.0.0.1\noptions ndots:15 timeout:30 attempts:5\n"));

        yield return ("image-archive", "docker-archive", Harnesses.DockerArchive());
        yield return ("image-layer", "layer-tar", Harnesses.Layer(
            ("etc/resolv.conf", "nameserver 10.96.0.10\n"u8.ToArray(), 0b110_100_100),
            ("etc/os-release", "ID=alpine\nVERSION_ID=3.20.3\n"u8.ToArray(), 0b110_100_100)));
        yield return ("image-manifest", "manifest", Prefixed(0, "[{\"Config\":\"config.json\",\"RepoTags\":[\"app:1\"],\"Layers\":[\"0000000000000000000000000000000000000000000000000000000000000001/layer.tar\"]}]"));
        yield return ("image-manifest", "config", Prefixed(1, "{\"architecture\":\"amd64\",\"os\":\"linux\",\"config\":{\"Entrypoint\":[\"/app\"],\"Env\":[\"PATH=/bin\"]},\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[]}}"));
        yield return ("pkgdb", "apk", Prefixed(0, "C:Q1\nP:musl\nV:1.2.3-r4\nA:x86_64\n\nP:busybox\nV:1.35.0-r17\n\n"));
        yield return ("pkgdb", "dpkg", Prefixed(1, "Package: libc6\nStatus: install ok installed\nVersion: 2.36-9+deb12u4\n\nPackage: base-files\nStatus: install ok installed\nVersion: 12.4\n"));
    }

    private static byte[] Prefixed(byte first, string text) => new[] { first }.Concat(Encoding.UTF8.GetBytes(text)).ToArray();
}
