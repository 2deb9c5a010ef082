using System.Net;
using System.Net.NetworkInformation;
using PacketDotNet;

namespace DnsTools.Fuzz;

/// <summary>
/// Capture files for seeds and for the capture reader's unit tests: pcap and pcapng containers written from their
/// specifications (pcap: the libpcap file header and record header; pcapng: SHB, IDB with if_tsresol = 9, EPB),
/// packets by PacketDotNet.
/// </summary>
public static class Frames
{
    private static byte[] Ethernet(Packet ip, EthernetType type)
        => new EthernetPacket(PhysicalAddress.Parse("02-00-00-00-00-01"), PhysicalAddress.Parse("02-00-00-00-00-02"), type) { PayloadPacket = ip }.Bytes;

    public static byte[] Udp(string src, int sport, string dst, int dport, byte[] payload, bool ethernet = true)
    {
        var udp = new UdpPacket((ushort)sport, (ushort)dport) { PayloadData = payload };
        var ip = new IPv4Packet(IPAddress.Parse(src), IPAddress.Parse(dst)) { PayloadPacket = udp };
        udp.UpdateCalculatedValues();
        ip.UpdateCalculatedValues();
        return ethernet ? Ethernet(ip, EthernetType.IPv4) : ip.Bytes;
    }

    public static byte[] Udp6(string src, int sport, string dst, int dport, byte[] payload)
    {
        var udp = new UdpPacket((ushort)sport, (ushort)dport) { PayloadData = payload };
        var ip = new IPv6Packet(IPAddress.Parse(src), IPAddress.Parse(dst)) { PayloadPacket = udp };
        udp.UpdateCalculatedValues();
        ip.UpdateCalculatedValues();
        return Ethernet(ip, EthernetType.IPv6);
    }

    public static byte[] Tcp(string src, int sport, string dst, int dport, byte[] message)
    {
        var framed = new byte[message.Length + 2];
        framed[0] = (byte)(message.Length >> 8);
        framed[1] = (byte)message.Length;
        message.CopyTo(framed, 2);
        var tcp = new TcpPacket((ushort)sport, (ushort)dport) { PayloadData = framed, Push = true, Acknowledgment = true };
        var ip = new IPv4Packet(IPAddress.Parse(src), IPAddress.Parse(dst)) { PayloadPacket = tcp };
        tcp.UpdateCalculatedValues();
        ip.UpdateCalculatedValues();
        return Ethernet(ip, EthernetType.IPv4);
    }

    public static byte[] Pcap(int linkType, IEnumerable<(double Seconds, byte[] Frame)> packets)
    {
        var ms = new MemoryStream();
        var w = new BinaryWriter(ms);
        w.Write(0xA1B2C3D4u); w.Write((ushort)2); w.Write((ushort)4); w.Write(0); w.Write(0u); w.Write(65535u); w.Write((uint)linkType);
        foreach (var (seconds, frame) in packets)
        {
            w.Write((uint)Math.Floor(seconds)); w.Write((uint)Math.Round((seconds - Math.Floor(seconds)) * 1e6));
            w.Write((uint)frame.Length); w.Write((uint)frame.Length); w.Write(frame);
        }
        return ms.ToArray();
    }

    public static byte[] PcapNg(int linkType, IEnumerable<(double Seconds, byte[] Frame)> packets)
    {
        var ms = new MemoryStream();
        var w = new BinaryWriter(ms);
        w.Write(0x0A0D0D0Au); w.Write(28u); w.Write(0x1A2B3C4Du); w.Write((ushort)1); w.Write((ushort)0); w.Write(-1L); w.Write(28u);
        w.Write(1u); w.Write(32u); w.Write((ushort)linkType); w.Write((ushort)0); w.Write(0u);
        w.Write((ushort)9); w.Write((ushort)1); w.Write(new byte[] { 9, 0, 0, 0 }); w.Write(0u); w.Write(32u);
        foreach (var (seconds, frame) in packets)
        {
            var padded = (frame.Length + 3) & ~3;
            var total = (uint)(32 + padded);
            var ts = (ulong)Math.Round(seconds * 1e9);
            w.Write(6u); w.Write(total); w.Write(0u); w.Write((uint)(ts >> 32)); w.Write((uint)ts);
            w.Write((uint)frame.Length); w.Write((uint)frame.Length); w.Write(frame); w.Write(new byte[padded - frame.Length]); w.Write(total);
        }
        return ms.ToArray();
    }
}
