using System.Net;
using System.Net.Sockets;
using DnsTools.Core.Probe;

namespace DnsTools.Core.Tests.Probe;

public sealed class UdpBatchTests
{
    [Theory]
    [InlineData("127.0.0.1")]
    [InlineData("::1")]
    public void Sends_every_datagram_of_a_batch_from_one_socket_to_its_own_destination(string loopback)
    {
        var address = IPAddress.Parse(loopback);
        using var first = new Socket(address.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
        using var second = new Socket(address.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
        try
        {
            first.Bind(new IPEndPoint(address, 0));
        }
        catch (SocketException) when (address.AddressFamily == AddressFamily.InterNetworkV6)
        {
            return; // no IPv6 loopback on this machine: nothing to check
        }
        second.Bind(new IPEndPoint(address, 0));
        using var sender = new Socket(address.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
        sender.Bind(new IPEndPoint(address, 0));
        var datagrams = new List<(byte[], IPEndPoint)>
        {
            (new byte[] { 1, 2, 3 }, (IPEndPoint)first.LocalEndPoint!),
            (new byte[] { 4, 5, 6, 7 }, (IPEndPoint)first.LocalEndPoint!),
            (new byte[] { 8 }, (IPEndPoint)second.LocalEndPoint!),
        };

        var sent = UdpBatch.Send(sender, datagrams, out var error);

        if (sent < 0 && !OperatingSystem.IsLinux()) return; // sendmmsg is Linux's: elsewhere the probe sends one at a time
        Assert.Equal(SocketError.Success, error);
        Assert.Equal(3, sent);
        first.ReceiveTimeout = second.ReceiveTimeout = 5000;
        var buffer = new byte[16];
        EndPoint from = new IPEndPoint(address.AddressFamily == AddressFamily.InterNetwork ? IPAddress.Any : IPAddress.IPv6Any, 0);
        Assert.Equal(new byte[] { 1, 2, 3 }, buffer[..first.ReceiveFrom(buffer, ref from)]);
        Assert.Equal(((IPEndPoint)sender.LocalEndPoint!).Port, ((IPEndPoint)from).Port);
        Assert.Equal(new byte[] { 4, 5, 6, 7 }, buffer[..first.ReceiveFrom(buffer, ref from)]);
        Assert.Equal(new byte[] { 8 }, buffer[..second.ReceiveFrom(buffer, ref from)]);
    }
}
