using System.Net;
using System.Net.Sockets;
using DnsTools.Core.Dns;
using DnsTools.Core.Probe;
using DnsTools.Core.ResolvConf;
using DnsTools.Core.Resolvers;

namespace DnsTools.Core.Tests.Probe;

/// <summary>
/// The warm-up (at import and before a new kind of lookup) runs the whole replay with every query redirected to its
/// own loopback responder: whatever the resolv.conf names, nothing is sent anywhere else.
/// </summary>
[Collection(TimingCollection.Name)]
public class ProbeWarmUpTests
{
    [Theory]
    [InlineData("musl-1.2.3")]
    [InlineData("glibc-2.36")]
    [InlineData("go-1.22")]
    public void The_warm_ups_replay_sends_only_to_its_own_loopback_responder(string resolver)
    {
        // Nameservers that must never be asked (a cluster DNS address and a documentation address).
        var conf = ResolvConfParser.Parse("nameserver 10.96.0.10\nnameserver 192.0.2.53\nsearch default.svc.cluster.local svc.cluster.local\noptions ndots:5 timeout:1 attempts:2\n");
        using var responder = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        responder.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        var endpoint = (IPEndPoint)responder.LocalEndPoint!;
        using var stop = new CancellationTokenSource();
        var answering = new Thread(() =>
        {
            var buffer = new byte[4096];
            while (!stop.IsCancellationRequested)
            {
                if (!responder.Poll(20_000, SelectMode.SelectRead)) continue;
                EndPoint from = new IPEndPoint(IPAddress.Any, 0);
                var n = responder.ReceiveFrom(buffer, ref from);
                responder.SendTo(DnsWire.BuildResponse(DnsWire.Parse(buffer.AsSpan(0, n)), DnsRcode.NxDomain, Array.Empty<IPAddress>()), from);
            }
        }) { IsBackground = true };
        answering.Start();
        try
        {
            var lookup = DnsProbe.RunRedirected("api.example.com", conf, ResolverSpec.Parse(resolver),
                new DnsProbeOptions { Servers = conf.Nameservers.Select(n => new IPEndPoint(n.Address, 53)).ToList(), MaxLookupTime = TimeSpan.FromSeconds(5), Realtime = false },
                DnsMitigation.None, CancellationToken.None, everyServerTo: endpoint);
            Assert.NotEmpty(lookup.Queries);
            Assert.All(lookup.Queries, q => Assert.Equal(endpoint.ToString(), q.Server));
            Assert.All(lookup.Queries, q => Assert.False(q.TimedOut));
            Assert.False(lookup.Succeeded); // NXDOMAIN for every candidate
        }
        finally
        {
            stop.Cancel();
            answering.Join(TimeSpan.FromSeconds(1));
        }
    }
}
