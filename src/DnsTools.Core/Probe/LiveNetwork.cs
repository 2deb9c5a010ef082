using System.Buffers.Binary;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using DnsTools.Core.Diagnosis;
using DnsTools.Core.Dns;
using DnsTools.Core.Resolvers;
using DnsTools.Core.ResolvConf;

namespace DnsTools.Core.Probe;

/// <summary>How a resolver writes its queries on the wire.</summary>
internal sealed record WireFormat(ResolverFamily Family, ushort? EdnsUdpSize, bool AuthenticData)
{
    /// <summary>
    /// musl: RD only, no OPT (src/network/res_mkquery.c); glibc: OPT (1200) only with "options edns0",
    /// AD only with trust-ad (resolv/res_mkquery.c); Go: always OPT with 1232, AD with trust-ad
    /// (src/net/dnsclient_unix.go newRequest); uClibc-ng: RD only, no OPT (libc/inet/resolv.c __dns_lookup).
    /// </summary>
    public static WireFormat For(ResolverFamily family, DnsTools.Core.ResolvConf.ResolverSettings settings) => family switch
    {
        ResolverFamily.Musl or ResolverFamily.UClibcNg => new WireFormat(family, null, false),
        ResolverFamily.Glibc => new WireFormat(family, settings.Edns0 ? (ushort)1200 : null, settings.TrustAd),
        _ => new WireFormat(family, 1232, settings.TrustAd),
    };
}

/// <summary>
/// The real network as a model's world: the model decides what to send and when, exactly as in a
/// plan; this class puts each query on a real socket at that moment (one OS socket per model
/// socket, so the same source-port sharing), and hands the model the replies the real server sends,
/// timed with a monotonic clock. The model's retry clock and reactions therefore run against what
/// the server actually answers.
/// </summary>
internal sealed class LiveNetwork : Simulation
{
    private readonly Func<string, IPEndPoint> _endpointFor;
    private readonly WireFormat _wire;
    private readonly TimeSpan _maxLookup;
    private readonly CancellationToken _cancel;
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private readonly Dictionary<int, LiveSocket> _sockets = new();
    private readonly Dictionary<int, ushort> _wireIds = new();
    private readonly List<(PlannedQuery Planned, ObservedQuery Observed, int Socket, ushort WireId)> _sent = new();
    /// <summary>UDP queries the model has sent and not yet on the wire: written back to back at the model's next wait (see <see cref="FlushUdp"/>).</summary>
    private readonly List<PendingDatagram> _pendingUdp = new();
    private readonly List<(byte[] Message, IPEndPoint To)> _batch = new();
    /// <summary>Every server sent to so far (musl takes a reply from any of them).</summary>
    private readonly HashSet<IPEndPoint> _nameservers = new();
    /// <summary>The local address the routing table picks per server, looked up once (before any query is sent).</summary>
    private readonly Dictionary<IPEndPoint, IPAddress> _sourceAddresses = new();
    private readonly object _gate = new();
    private int _nextSocket;
    private long _sequence;

    public LiveNetwork(Func<string, IPEndPoint> endpointFor, WireFormat wire, TimeSpan maxLookup, CancellationToken cancel)
        : base(ServerBehavior.AlwaysAnswer)
    {
        _endpointFor = endpointFor;
        _wire = wire;
        _maxLookup = maxLookup;
        _cancel = cancel;
    }

    public TimeSpan Now => _clock.Elapsed;

    /// <summary>The replay thread runs at real-time priority: so does every other thread that sends for it (Go's lanes).</summary>
    public bool RealtimeLanes { get; init; }

    /// <summary>For a thread that sends and waits for this replay besides the caller's: scheduled as the replay thread is.</summary>
    public IDisposable EnterLaneScheduling() => ReplayScheduling.Enter(RealtimeLanes);

    /// <summary>
    /// Wake-ups that gave the model nothing (a datagram it does not take, an error), in this replay. A lookup has a few;
    /// a flood or a bug has thousands: past <see cref="MaxWakeupsWithoutReply"/> a real-time thread goes back to normal.
    /// </summary>
    private int _wakeupsWithoutReply;
    private const int MaxWakeupsWithoutReply = 256;

    public IReadOnlyList<ObservedQuery> Observed
    {
        get { lock (_gate) return _sent.Select(s => s.Observed).OrderBy(q => q.SentAt).ToList(); }
    }

    private sealed class LiveSocket
    {
        public Socket? Os;
        public bool Tcp;
        public bool ClosedForModel;
        /// <summary>The TCP connection was refused or reset (told to the model once).</summary>
        public bool Lost;
        /// <summary>The TCP connect itself failed (refused), as opposed to a reset after connecting.</summary>
        public bool Refused;
        /// <summary>TCP queries written by the model and not yet on the wire: sent together at the next wait, as glibc's send_vc writes both with one writev.</summary>
        public List<byte[]>? PendingTcp;
        public IPEndPoint? Local;
        public byte[]? Buffer;
    }

    /// <summary>One UDP query built and recorded, waiting for its system call.</summary>
    private readonly record struct PendingDatagram(Socket Os, byte[] Message, IPEndPoint Server, PlannedQuery Planned, ObservedQuery Observed);

    public override int Open()
    {
        lock (_gate)
        {
            var id = ++_nextSocket;
            _sockets[id] = new LiveSocket();
            return id;
        }
    }

    public override void Close(int socket, TimeSpan at)
    {
        // The OS socket stays open until Finish, so answers that come after the resolver gave up are
        // still seen and reported as late; the model no longer receives anything on it.
        lock (_gate) if (_sockets.TryGetValue(socket, out var s)) s.ClosedForModel = true;
    }

    /// <summary>
    /// Records a query and queues it; the system call comes at the model's next wait (<see cref="Next"/>), right
    /// after any other query the model sends at the same moment. A libc writes its A/AAAA pair back to back (glibc
    /// with one sendmmsg, musl with consecutive sendto calls): building the second query and the bookkeeping of the
    /// first must not sit between the two datagrams, where it would widen the pair beyond the kernel's race window.
    /// </summary>
    public override SimReply? Send(TimeSpan at, string fqdn, DnsQueryType type, string server, DnsTransport transport, int socket, QueryReason reason, int identity, int step = 0)
    {
        if (at > Now)
        {
            lock (_gate) FlushUdp();
            WaitUntil(at);
        }
        // Go's two lanes send from two threads (see GoResolverModel): one at a time here.
        lock (_gate) return SendNow(fqdn, type, server, transport, socket, reason, identity);
    }

    private SimReply? SendNow(string fqdn, DnsQueryType type, string server, DnsTransport transport, int socket, QueryReason reason, int identity)
    {
        var endpoint = _endpointFor(server);
        var live = _sockets[socket];
        string? unsendable = null;
        if (!_wireIds.TryGetValue(identity, out var wireId))
        {
            wireId = NewWireId();
            _wireIds[identity] = wireId;
        }
        byte[] message;
        try
        {
            message = DnsWire.BuildQuery(wireId, fqdn, (ushort)type, recursionDesired: true, authenticData: _wire.AuthenticData, ednsUdpSize: _wire.EdnsUdpSize);
        }
        catch (DnsFormatException e)
        {
            // The models never send a name their libc cannot encode (they check first); this is the backstop, so a
            // model gap is a query marked "not sent", never an exception ending the whole run.
            message = Array.Empty<byte>();
            unsendable = $"not sent: {e.Message}";
        }
        // The send time is taken right before the system call: building the message is not latency.
        var sentAt = Now;
        string? failure = unsendable;
        try
        {
            if (failure is not null)
            {
                // Nothing to send.
            }
            else if (transport == DnsTransport.Udp)
            {
                // The socket and its source address are settled before anything is sent; the send time is set
                // when the datagram is written (FlushUdp).
                live.Os ??= NewUdp(endpoint);
                live.Local ??= SourceFor(live.Os, endpoint);
            }
            else
            {
                if (live.Os is null)
                {
                    live.Tcp = true;
                    live.Os = new Socket(endpoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
                    try { ConnectWithin(live.Os, endpoint, Remaining(TimeSpan.FromSeconds(10))); }
                    catch (SocketException) { live.Refused = true; throw; }
                }
                var framed = new byte[message.Length + 2];
                BinaryPrimitives.WriteUInt16BigEndian(framed, (ushort)message.Length);
                message.CopyTo(framed, 2);
                sentAt = Now;
                (live.PendingTcp ??= new List<byte[]>()).Add(framed);
            }
            live.Local ??= live.Os?.LocalEndPoint as IPEndPoint;
        }
        catch (Exception e) when (e is SocketException or TimeoutException or AggregateException)
        {
            failure = $"not sent: {e.GetBaseException().Message}";
        }
        var planned = new PlannedQuery
        {
            SendTime = sentAt,
            Name = fqdn,
            Type = type,
            Server = server,
            Transport = transport,
            RawSocket = socket,
            Attempt = _sent.Count(s => s.Planned.Name == fqdn && s.Planned.Type == type && s.Planned.Server == server) + 1,
            Reason = reason,
            Identity = identity,
            Sequence = ++_sequence,
            Response = ServerResponseKind.NoAnswer,
        };
        if (failure is not null) planned.Handling = failure;
        _nameservers.Add(endpoint);
        var observed = new ObservedQuery
        {
            Name = fqdn,
            Type = type.ToString(),
            Client = live.Local?.Address.ToString() ?? "?",
            SourcePort = live.Local?.Port ?? 0,
            Server = endpoint.ToString(),
            Id = wireId,
            Transport = transport == DnsTransport.Udp ? "UDP" : "TCP",
            SentAt = planned.SendTime,
            Attempt = planned.Attempt,
            Reason = Map(reason),
            Size = message.Length,
            Flags = "+" + (_wire.AuthenticData ? "%" : string.Empty) + (_wire.EdnsUdpSize is null ? string.Empty : " [1au]"),
            Source = "probe",
            TimedOut = true,
        };
        _sent.Add((planned, observed, socket, wireId));
        if (failure is null && transport == DnsTransport.Udp) _pendingUdp.Add(new PendingDatagram(live.Os!, message, endpoint, planned, observed));
        return null;
    }

    /// <summary>
    /// Writes the queued UDP queries: those of one socket in one system call (<see cref="UdpBatch"/>), each stamped
    /// right before it; nothing is built between two of them.
    /// </summary>
    private void FlushUdp()
    {
        var count = _pendingUdp.Count;
        if (count == 0) return;
        for (var first = 0; first < count;)
        {
            var os = _pendingUdp[first].Os;
            var end = first + 1;
            while (end < count && _pendingUdp[end].Os == os) end++;
            var batch = end - first > 1 ? _batch : null;
            if (batch is not null)
            {
                batch.Clear();
                for (var i = first; i < end; i++) batch.Add((_pendingUdp[i].Message, _pendingUdp[i].Server));
            }
            var sentAt = Now;
            var sent = batch is null ? -1 : UdpBatch.Send(os, batch, out var error);
            for (var i = first; i < end; i++)
            {
                var d = _pendingUdp[i];
                if (sent < 0) sentAt = Now; // one at a time
                d.Planned.SendTime = sentAt;
                d.Observed.SentAt = sentAt;
                try
                {
                    if (sent < 0 || i - first >= sent) d.Os.SendTo(d.Message, SocketFlags.None, d.Server);
                }
                catch (SocketException e)
                {
                    d.Planned.Handling = $"not sent: {e.Message}";
                }
            }
            first = end;
        }
        _pendingUdp.Clear();
    }

    public override SimReply? Next(IEnumerable<int> sockets, TimeSpan from, TimeSpan until)
    {
        List<int> wanted;
        lock (_gate)
        {
            FlushUdp();
            FlushTcp();
            wanted = sockets.Where(id => _sockets.TryGetValue(id, out var s) && s.Os is not null && !s.ClosedForModel).ToList();
        }
        while (true)
        {
            _cancel.ThrowIfCancellationRequested();
            var remaining = until - Now;
            if (Now >= _maxLookup) return null;
            List<Socket> readable;
            // A refused or reset TCP connection stays readable (EOF) and has nothing more to give: not waited on.
            lock (_gate) readable = wanted.Where(id => !_sockets[id].Lost).Select(id => _sockets[id].Os!).ToList();
            if (readable.Count == 0)
            {
                if (remaining > TimeSpan.Zero) WaitUntil(until);
                return null;
            }
            var waitMicros = remaining <= TimeSpan.Zero ? 0 : (int)Math.Min(Remaining(remaining).TotalMicroseconds, int.MaxValue);
            var micros = Math.Max(0, Math.Min(waitMicros, 200_000));
            if (readable.Count == 1)
            {
                // One socket (the usual case): poll(2) on it directly, no lists to build.
                if (!readable[0].Poll(micros, SelectMode.SelectRead)) readable.Clear();
            }
            else
            {
                Socket.Select(readable, null, null, micros);
            }
            if (readable.Count == 0)
            {
                if (Now >= until) return null;
                continue; // woke up to check cancellation
            }
            // UDP before TCP, as musl's res_msend.c drains the UDP socket before it looks at its TCP connections in
            // each poll round: a UDP answer that is already waiting is read before a refused connection ends the lookup.
            for (var pass = 0; pass < 2; pass++)
                foreach (var os in readable)
                {
                    if ((os.SocketType == SocketType.Stream) != (pass == 1)) continue;
                    int id;
                    lock (_gate) id = wanted.First(i => _sockets[i].Os == os);
                    var reply = Receive(id, deliver: true);
                    if (reply is not null) return reply;
                }
            if (Interlocked.Increment(ref _wakeupsWithoutReply) >= MaxWakeupsWithoutReply)
                ReplayScheduling.DemoteCurrentThread($"{MaxWakeupsWithoutReply} wake-ups without an answer the resolver takes");
        }
    }

    /// <summary>When the model returned: the lookup's measured end (set when the model finishes).</summary>
    public TimeSpan? EndedAt { get; private set; }

    /// <summary>Writes every socket's queued TCP queries, each socket's in one send (a failure shows as a lost connection when read).</summary>
    private void FlushTcp()
    {
        foreach (var live in _sockets.Values)
        {
            if (live.PendingTcp is not { Count: > 0 } pending || live.Os is null) continue;
            var all = pending.Count == 1 ? pending[0] : pending.SelectMany(b => b).ToArray();
            pending.Clear();
            try { live.Os.Send(all); }
            catch (SocketException) { }
        }
    }

    public override IReadOnlyList<PlannedQuery> Finish()
    {
        lock (_gate) FlushUdp();
        EndedAt ??= Now;
        lock (_gate) FlushTcp();
        lock (_gate) return FinishNow();
    }

    private IReadOnlyList<PlannedQuery> FinishNow()
    {
        // What arrived after the model stopped waiting: late answers.
        foreach (var (id, s) in _sockets)
        {
            if (s.Os is null) continue;
            for (var i = 0; i < 1000 && s.Os.Poll(0, SelectMode.SelectRead); i++)
                if (Receive(id, deliver: false) is null && !s.Os.Poll(0, SelectMode.SelectRead)) break;
        }
        foreach (var s in _sockets.Values) s.Os?.Dispose();
        _sockets.Clear();
        var ordered = _sent.Select(s => s.Planned).OrderBy(q => q.SendTime).ThenBy(q => q.Sequence).ToList();
        var numbers = new Dictionary<int, int>();
        for (var i = 0; i < ordered.Count; i++)
        {
            ordered[i].Index = i + 1;
            if (!numbers.TryGetValue(ordered[i].RawSocket, out var n)) numbers[ordered[i].RawSocket] = n = numbers.Count + 1;
            ordered[i].Socket = n;
        }
        var observed = _sent.Select(s => s.Observed).OrderBy(q => q.SentAt).ToList();
        for (var i = 0; i < observed.Count; i++) observed[i].Index = i + 1;
        return ordered;
    }

    /// <summary>Reads one message from a socket; returns it for the model when the modelled libc takes it as an answer (see <see cref="ReplyAcceptance"/>).</summary>
    private SimReply? Receive(int socketId, bool deliver)
    {
        LiveSocket live;
        lock (_gate) live = _sockets[socketId];
        byte[] message;
        IPEndPoint? from = null;
        try
        {
            if (live.Tcp)
            {
                var length = new byte[2];
                try
                {
                    if (!ReadExactly(live.Os!, length)) return ConnectionLost(socketId, live, deliver);
                    message = new byte[BinaryPrimitives.ReadUInt16BigEndian(length)];
                    if (!ReadExactly(live.Os!, message)) return ConnectionLost(socketId, live, deliver);
                }
                catch (SocketException)
                {
                    // Refused or reset: the libc's read or connect fails at once (glibc send_vc returns), so does the probe.
                    return ConnectionLost(socketId, live, deliver);
                }
            }
            else
            {
                var buffer = live.Buffer ??= new byte[65535];
                EndPoint source = new IPEndPoint(live.Os!.AddressFamily == AddressFamily.InterNetworkV6 ? IPAddress.IPv6Any : IPAddress.Any, 0);
                var n = live.Os.ReceiveFrom(buffer, ref source);
                message = buffer[..n];
                from = (IPEndPoint)source;
            }
        }
        catch (SocketException)
        {
            return null; // ICMP unreachable and the like: nothing for the resolver
        }
        var at = Now;
        lock (_gate) return Match(socketId, live, message, from, at, deliver);
    }

    /// <summary>
    /// A TCP connection that was refused, reset or closed: the model gets a <see cref="ServerResponseKind.Reset"/>
    /// for the first query still unanswered on it (once), instead of waiting out the lookup limit.
    /// </summary>
    private SimReply? ConnectionLost(int socketId, LiveSocket live, bool deliver)
    {
        var at = Now;
        lock (_gate)
        {
            var pending = _sent.FirstOrDefault(s => s.Socket == socketId && !s.Observed.Answered);
            if (pending.Planned is null || live.Lost) return null;
            live.Lost = true;
            var o = pending.Observed;
            o.AnsweredAt = at;
            o.Rcode = live.Refused ? "ConnectionRefused" : "ConnectionReset";
            o.TimedOut = false;
            o.Late = !deliver || live.ClosedForModel;
            if (!deliver || live.ClosedForModel) return null;
            return new SimReply { Query = pending.Planned, At = at, Kind = live.Refused ? ServerResponseKind.ConnectionRefused : ServerResponseKind.Reset, Socket = socketId };
        }
    }

    private SimReply? Match(int socketId, LiveSocket live, byte[] message, IPEndPoint? from, TimeSpan at, bool deliver)
    {
        if (message.Length < 4) return null;
        var id = BinaryPrimitives.ReadUInt16BigEndian(message);
        // The latest unanswered send on this socket that the libc would take this reply for.
        // musl listens to every nameserver; it sends each pass to all of them, so they are the servers sent to so far.
        // A loop rather than LINQ: this runs between an answer's arrival and the model's reaction to it.
        (PlannedQuery? Planned, ObservedQuery? Observed) match = default;
        for (var i = _sent.Count - 1; i >= 0; i--)
        {
            var s = _sent[i];
            if (s.Socket != socketId || s.WireId != id || s.Observed.Answered) continue;
            if (!ReplyAcceptance.SourceAccepted(_wire.Family, from, _endpointFor(s.Planned.Server), _nameservers)) continue;
            if (!ReplyAcceptance.Matches(_wire.Family, message, id, s.Planned.Name, s.Planned.Type, live.Tcp)) continue;
            match = (s.Planned, s.Observed);
            break;
        }
        if (match.Planned is null || match.Observed is null) return null;
        var (kind, rcode, answers, truncated) = ReplyAcceptance.Read(message);
        var o = match.Observed;
        o.AnsweredAt = at;
        o.Rcode = rcode.ToString();
        o.AnswerCount = answers;
        o.Truncated = truncated;
        o.TimedOut = false;
        o.Late = !deliver || live.ClosedForModel;
        if (!deliver || live.ClosedForModel) return null;
        return new SimReply { Query = match.Planned, At = at, Kind = kind, Socket = socketId };
    }

    private static QuerySendReason Map(QueryReason reason) => reason switch
    {
        QueryReason.FirstTry or QueryReason.NextCandidate or QueryReason.AfterOtherType => QuerySendReason.FirstTry,
        QueryReason.RetryAfterTimeout => QuerySendReason.RetryAfterTimeout,
        QueryReason.ResendAfterServfail => QuerySendReason.ResendAfterServfail,
        QueryReason.TcpAfterTruncation => QuerySendReason.TcpAfterTruncation,
        _ => QuerySendReason.NextAttempt,
    };

    /// <summary>The source address and port the kernel uses for this socket towards the server.</summary>
    private IPEndPoint SourceFor(Socket socket, IPEndPoint server)
    {
        var local = (IPEndPoint)socket.LocalEndPoint!;
        if (!local.Address.Equals(IPAddress.Any) && !local.Address.Equals(IPAddress.IPv6Any)) return local;
        if (!_sourceAddresses.TryGetValue(server, out var address))
        {
            // Unconnected (musl sends with sendto): ask the routing table with a throw-away connected socket.
            using var probe = new Socket(server.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
            probe.Connect(server);
            _sourceAddresses[server] = address = ((IPEndPoint)probe.LocalEndPoint!).Address;
        }
        return new IPEndPoint(address, local.Port);
    }

    private Socket NewUdp(IPEndPoint server)
    {
        var s = new Socket(server.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
        s.Bind(new IPEndPoint(server.AddressFamily == AddressFamily.InterNetworkV6 ? IPAddress.IPv6Any : IPAddress.Any, 0));
        return s;
    }

    /// <summary>musl derives ids from the clock (src/network/res_mkquery.c); glibc and Go draw random ids.</summary>
    private ushort NewWireId()
    {
        if (_wire.Family == ResolverFamily.Musl)
        {
            var ns = (ulong)(DateTime.UtcNow.Ticks % 10_000_000) * 100;
            return (ushort)((ns + ns / 65536) & 0xFFFF);
        }
        return (ushort)Random.Shared.Next(0, 65536);
    }

    private bool ReadExactly(Socket s, byte[] buffer)
    {
        var read = 0;
        while (read < buffer.Length)
        {
            if (!s.Poll((int)Math.Min(Remaining(TimeSpan.FromSeconds(30)).TotalMicroseconds, int.MaxValue), SelectMode.SelectRead)) return false;
            var n = s.Receive(buffer, read, buffer.Length - read, SocketFlags.None);
            if (n == 0) return false;
            read += n;
        }
        return true;
    }

    /// <summary>
    /// A non-blocking connect polled on this thread. ConnectAsync completes on the thread pool, which on a busy 2-core
    /// machine was seen to add 170 ms before the first TCP query; a blocking Connect would have no time limit.
    /// </summary>
    private void ConnectWithin(Socket socket, IPEndPoint endpoint, TimeSpan limit)
    {
        var deadline = Now + limit;
        socket.Blocking = false;
        try
        {
            socket.Connect(endpoint);
        }
        catch (SocketException e) when (e.SocketErrorCode is SocketError.WouldBlock or SocketError.InProgress)
        {
            while (!socket.Poll(50_000, SelectMode.SelectWrite))
            {
                _cancel.ThrowIfCancellationRequested();
                if (Now >= deadline) throw new TimeoutException($"TCP connection to {endpoint} timed out");
            }
            if (socket.GetSocketOption(SocketOptionLevel.Socket, SocketOptionName.Error) is int error && error != 0)
                throw new SocketException(error);
        }
        finally
        {
            socket.Blocking = true;
        }
    }

    private TimeSpan Remaining(TimeSpan wanted)
    {
        var left = _maxLookup - Now;
        return left < wanted ? (left < TimeSpan.Zero ? TimeSpan.Zero : left) : wanted;
    }

    private void WaitUntil(TimeSpan at)
    {
        while (true)
        {
            var wait = at - Now;
            if (wait <= TimeSpan.Zero || Now >= _maxLookup) return;
            _cancel.WaitHandle.WaitOne(wait);
            _cancel.ThrowIfCancellationRequested();
        }
    }
}
