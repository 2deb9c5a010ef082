using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;

namespace DnsTools.Core.Probe;

/// <summary>
/// Several UDP datagrams from one socket in one system call (Linux sendmmsg(2)), so nothing can run between them:
/// no other thread of this process, no wake-up of the server the first one reached. glibc sends its A/AAAA pair
/// this way (resolv/res_send.c, send_dg: sendmmsg with both queries); musl writes them with consecutive sendto
/// calls (src/network/res_msend.c), microseconds apart when the CPU is free. A probe that is a .NET process on a
/// loaded machine is more likely to be preempted between two calls than a small C program, so it sends every
/// batch with one call: its pairs leave at least as close together as the libc's, which is what the conntrack race
/// (both packets of a pair in flight at once) needs. Not available (not Linux, no sendmmsg in the C library):
/// the caller sends one datagram at a time.
/// </summary>
internal static class UdpBatch
{
    private const int MessageHeaderSize = 64; // struct mmsghdr on 64-bit Linux: struct msghdr (56) + msg_len + padding
    private const int IoVectorSize = 16;      // struct iovec: base, length
    private const int AddressSize = 28;       // room for struct sockaddr_in6 (sockaddr_in is 16)
    private static volatile bool _unavailable = !OperatingSystem.IsLinux() || IntPtr.Size != 8;

    [DllImport("libc.so.6", EntryPoint = "sendmmsg", SetLastError = true)]
    private static extern int SendMmsg(int socket, IntPtr messages, uint count, int flags);

    /// <summary>
    /// Sends every datagram in one call. Returns how many left (the kernel may stop early on an error, with the
    /// error's code in <paramref name="error"/>), or -1 when batching is unavailable and nothing was sent.
    /// </summary>
    public static int Send(Socket socket, IReadOnlyList<(byte[] Message, IPEndPoint To)> datagrams, out SocketError error)
    {
        error = SocketError.Success;
        if (_unavailable || datagrams.Count == 0) return -1;
        var count = datagrams.Count;
        var size = count * (MessageHeaderSize + IoVectorSize + AddressSize);
        for (var i = 0; i < count; i++) size += datagrams[i].Message.Length;
        var block = Marshal.AllocHGlobal(size);
        try
        {
            var headers = block;
            var vectors = headers + count * MessageHeaderSize;
            var addresses = vectors + count * IoVectorSize;
            var payload = addresses + count * AddressSize;
            Span<byte> address = stackalloc byte[AddressSize];
            for (var i = 0; i < count; i++)
            {
                var (message, to) = datagrams[i];
                var addressLength = WriteAddress(address, to);
                Marshal.Copy(address.ToArray(), 0, addresses + i * AddressSize, AddressSize);
                Marshal.Copy(message, 0, payload, message.Length);
                var vector = vectors + i * IoVectorSize;
                Marshal.WriteIntPtr(vector, payload);
                Marshal.WriteInt64(vector, 8, message.Length);
                var header = headers + i * MessageHeaderSize;
                for (var b = 0; b < MessageHeaderSize; b += 8) Marshal.WriteInt64(header, b, 0);
                Marshal.WriteIntPtr(header, 0, addresses + i * AddressSize); // msg_name
                Marshal.WriteInt32(header, 8, addressLength);                // msg_namelen
                Marshal.WriteIntPtr(header, 16, vector);                      // msg_iov
                Marshal.WriteInt64(header, 24, 1);                            // msg_iovlen
                payload += message.Length;
            }
            var fd = (int)socket.SafeHandle.DangerousGetHandle();
            int sent;
            try
            {
                sent = SendMmsg(fd, block, (uint)count, 0);
            }
            catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
            {
                _unavailable = true;
                return -1;
            }
            if (sent < 0)
            {
                error = (SocketError)new SocketException(Marshal.GetLastPInvokeError()).SocketErrorCode;
                return 0;
            }
            return sent;
        }
        finally
        {
            Marshal.FreeHGlobal(block);
        }
    }

    /// <summary>struct sockaddr_in / sockaddr_in6 as Linux lays them out; returns the length.</summary>
    private static int WriteAddress(Span<byte> buffer, IPEndPoint to)
    {
        buffer.Clear();
        if (to.AddressFamily == AddressFamily.InterNetwork)
        {
            BinaryPrimitives.WriteUInt16LittleEndian(buffer, 2); // AF_INET
            BinaryPrimitives.WriteUInt16BigEndian(buffer[2..], (ushort)to.Port);
            to.Address.TryWriteBytes(buffer[4..8], out _);
            return 16;
        }
        BinaryPrimitives.WriteUInt16LittleEndian(buffer, 10); // AF_INET6
        BinaryPrimitives.WriteUInt16BigEndian(buffer[2..], (ushort)to.Port);
        to.Address.TryWriteBytes(buffer[8..24], out _);
        BinaryPrimitives.WriteUInt32LittleEndian(buffer[24..], (uint)to.Address.ScopeId);
        return 28;
    }
}
