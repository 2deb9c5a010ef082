using System.Buffers.Binary;
using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using DnsTools.Core.Dns;

namespace DnsTools.Core.Lab;

/// <summary>What the lab server does with one query.</summary>
[Newtonsoft.Json.JsonConverter(typeof(Newtonsoft.Json.Converters.StringEnumConverter))]
public enum DnsLabAction
{
    Respond,
    Drop,
    /// <summary>Over TCP: the connection is reset (RST) once the query is read, after the decision's delay; over UDP as <see cref="Drop"/>.</summary>
    Reset,
}

/// <summary>
/// One query as the server sees it, for the policy to decide on. <c>SecondOfParallelPair</c> is true
/// when the same client socket sent a different query within the parallel window before this one and
/// that query is still unanswered (musl's and glibc's A/AAAA pair).
/// </summary>
public sealed record DnsLabRequest(string Name, ushort Type, IPEndPoint Client, ushort Id, bool Tcp, bool SecondOfParallelPair);

/// <summary>The policy's answer: respond (rcode, addresses, TC) after a delay, or drop.</summary>
public sealed record DnsLabDecision(DnsLabAction Action, DnsRcode Rcode, TimeSpan Delay, IReadOnlyList<IPAddress> Addresses, bool Truncate = false)
{
    public static DnsLabDecision Dropped { get; } = new(DnsLabAction.Drop, DnsRcode.NoError, TimeSpan.Zero, Array.Empty<IPAddress>());
}

/// <summary>One logged query and what became of it.</summary>
public sealed class DnsLabQueryRecord
{
    public required long Sequence { get; init; }
    /// <summary>Arrival, on the server's monotonic clock (since it started).</summary>
    public required TimeSpan ReceivedAt { get; init; }
    public required IPEndPoint Client { get; init; }
    public required string Transport { get; init; }
    public required ushort Id { get; init; }
    public required string Name { get; init; }
    public required ushort Type { get; init; }
    public required bool Edns { get; init; }
    public required ushort Flags { get; init; }
    public DnsLabAction Action { get; internal set; }
    public DnsRcode? Rcode { get; internal set; }
    public bool Truncated { get; internal set; }
    public int AnswerCount { get; internal set; }
    /// <summary>When the reply left, on the same clock; null when dropped or not yet sent.</summary>
    public TimeSpan? RepliedAt { get; internal set; }

    public string TypeName => Type switch { DnsWire.TypeA => "A", DnsWire.TypeAaaa => "AAAA", _ => Type.ToString() };

    public override string ToString()
        => $"{ReceivedAt.TotalMilliseconds,9:F1} ms {Client} {Transport} id={Id} {Name} {TypeName} -> {(Action == DnsLabAction.Drop ? "dropped" : Action == DnsLabAction.Reset ? "reset" : $"{Rcode}{(Truncated ? " TC" : string.Empty)} an={AnswerCount} at {RepliedAt?.TotalMilliseconds:F1} ms")}";
}

public sealed class DnsLabServerOptions
{
    /// <summary>Where to listen; loopback unless the user names another address.</summary>
    public IPAddress Address { get; init; } = IPAddress.Loopback;

    /// <summary>0 picks a free port.</summary>
    public int Port { get; init; }

    /// <summary>Decides every query. Required.</summary>
    public required Func<DnsLabRequest, DnsLabDecision> Policy { get; init; }

    /// <summary>Two different queries from one client socket closer than this count as a parallel pair.</summary>
    public TimeSpan ParallelWindow { get; init; } = TimeSpan.FromMilliseconds(20);

    /// <summary>Delays above this are cut to it, so a typo cannot hold a reply for hours.</summary>
    public TimeSpan MaxDelay { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>What the policy does, in words (shown with the server).</summary>
    public string Description { get; init; } = string.Empty;

    /// <summary>No TCP listener: a TCP connection to the port is refused (an upstream that does not serve TCP).</summary>
    public bool NoTcp { get; init; }

    /// <summary>At most this many queries are kept in the log; later ones are counted in <see cref="DnsLabServer.UnloggedQueries"/>.</summary>
    public int MaxLoggedQueries { get; init; } = 100_000;
}

/// <summary>
/// A DNS server for experiments: UDP and TCP on one port, every query logged with its arrival on a
/// monotonic clock, every answer decided by a policy (NXDOMAIN, SERVFAIL after a delay, no answer,
/// truncated, drop the second query of a same-socket pair). Malformed datagrams are counted and
/// ignored.
/// </summary>
public sealed class DnsLabServer : IDisposable
{
    private readonly DnsLabServerOptions _options;
    private readonly Socket _udp;
    private readonly TcpListener _tcp;
    private readonly CancellationTokenSource _stop = new();
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private readonly ConcurrentQueue<DnsLabQueryRecord> _log = new();
    private readonly ConcurrentDictionary<string, DnsLabQueryRecord> _lastByClient = new();
    private readonly List<Task> _loops = new();
    private readonly PriorityQueue<Action, TimeSpan> _due = new();
    private readonly AutoResetEvent _wake = new(false);
    private Thread? _udpThread, _replyThread;
    private long _sequence, _logged, _unlogged, _malformed;

    private DnsLabServer(DnsLabServerOptions options)
    {
        _options = options;
        _udp = new Socket(options.Address.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
        _udp.Bind(new IPEndPoint(options.Address, options.Port));
        var port = ((IPEndPoint)_udp.LocalEndPoint!).Port;
        _tcp = new TcpListener(options.Address, port);
        _tcp.Start();
        EndPoint = new IPEndPoint(options.Address, port);
    }

    /// <summary>Starts listening. A port in use is a <see cref="SocketException"/> naming the endpoint.</summary>
    public static DnsLabServer Start(DnsLabServerOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(options.Policy);
        DnsLabServer server;
        try
        {
            server = new DnsLabServer(options);
        }
        catch (SocketException e)
        {
            throw new SocketException((int)e.SocketErrorCode, $"cannot listen on {options.Address}:{options.Port}: {e.Message}");
        }
        // Dedicated threads, not the thread pool: a busy pool (blocking probes, parallel tests) must
        // not delay replies, since their timing is what the lab is for.
        server._udpThread = new Thread(server.UdpLoop) { IsBackground = true, Name = "dns-lab-udp" };
        server._replyThread = new Thread(server.ReplyLoop) { IsBackground = true, Name = "dns-lab-replies" };
        server._udpThread.Start();
        server._replyThread.Start();
        // The port is taken for TCP too (so nobody else answers there), then closed: connections are refused.
        if (options.NoTcp) server._tcp.Stop();
        else server._loops.Add(Task.Run(server.TcpLoop));
        server.WarmUp();
        return server;
    }

    public IPEndPoint EndPoint { get; }

    /// <summary>The policy in words, e.g. the rules it was started with.</summary>
    public string Description => _options.Description;

    /// <summary>
    /// One query to itself before anyone else's, so JIT compilation of the receive path and the
    /// policy does not delay the first real query (that delay would make a parallel A/AAAA pair look
    /// sequential). The query and its log entry are then forgotten.
    /// </summary>
    private void WarmUp()
    {
        try
        {
            using var client = new Socket(EndPoint.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
            client.SendTo(DnsWire.BuildQuery(0, "dns-lab-warm-up.invalid.", DnsWire.TypeA), EndPoint);
            var deadline = _clock.Elapsed + TimeSpan.FromSeconds(2);
            while (_log.IsEmpty && _clock.Elapsed < deadline) Thread.Sleep(1);
        }
        catch (SocketException) { }
        ClearLog();
    }

    /// <summary>The server's monotonic clock: time since it started.</summary>
    public TimeSpan Elapsed => _clock.Elapsed;

    public IReadOnlyList<DnsLabQueryRecord> Queries => _log.ToArray();
    public long UnloggedQueries => Interlocked.Read(ref _unlogged);
    public long MalformedMessages => Interlocked.Read(ref _malformed);
    public bool IsRunning => !_stop.IsCancellationRequested;

    /// <summary>Forgets the logged queries (between runs of one experiment).</summary>
    public void ClearLog()
    {
        while (_log.TryDequeue(out _)) { }
        Interlocked.Exchange(ref _logged, 0);
        _lastByClient.Clear();
    }

    public void Stop()
    {
        if (_stop.IsCancellationRequested) return;
        _stop.Cancel();
        _udp.Dispose();
        _tcp.Stop();
        _wake.Set();
        try { Task.WaitAll(_loops.ToArray(), TimeSpan.FromSeconds(5)); } catch (AggregateException) { }
        _udpThread?.Join(TimeSpan.FromSeconds(5));
        _replyThread?.Join(TimeSpan.FromSeconds(5));
    }

    public void Dispose() => Stop();

    public override string ToString() => $"DNS lab server on {EndPoint} ({_log.Count} queries logged)";

    private void UdpLoop()
    {
        var buffer = new byte[65535];
        while (!_stop.IsCancellationRequested)
        {
            EndPoint from = new IPEndPoint(_options.Address.AddressFamily == AddressFamily.InterNetworkV6 ? IPAddress.IPv6Any : IPAddress.Any, 0);
            int received;
            try
            {
                received = _udp.ReceiveFrom(buffer, ref from);
            }
            catch (Exception) when (_stop.IsCancellationRequested) { return; }
            catch (SocketException) { continue; } // e.g. ICMP port unreachable from an earlier reply
            catch (ObjectDisposedException) { return; }
            var client = (IPEndPoint)from;
            var work = Handle(buffer.AsSpan(0, received).ToArray(), client, tcp: false);
            if (work is null) continue;
            Schedule(work.Value, bytes => _udp.SendTo(bytes, client));
        }
    }

    /// <summary>Sends each reply when it is due, in due order, on one thread.</summary>
    private void ReplyLoop()
    {
        while (!_stop.IsCancellationRequested)
        {
            Action? next = null;
            var wait = Timeout.InfiniteTimeSpan;
            lock (_due)
            {
                if (_due.TryPeek(out var action, out var due))
                {
                    var left = due - _clock.Elapsed;
                    if (left <= TimeSpan.Zero) { _due.Dequeue(); next = action; }
                    else wait = left;
                }
            }
            if (next is not null)
            {
                next();
                continue;
            }
            // Sleep until the next reply is due (Linux wakes within a fraction of a millisecond); no
            // spinning, which on a small machine would take a core from the client under test.
            _wake.WaitOne(wait == Timeout.InfiniteTimeSpan ? wait : TimeSpan.FromTicks(Math.Max(wait.Ticks, TimeSpan.TicksPerMillisecond / 10)));
        }
    }

    private async Task TcpLoop()
    {
        while (!_stop.IsCancellationRequested)
        {
            TcpClient connection;
            try
            {
                connection = await _tcp.AcceptTcpClientAsync(_stop.Token).ConfigureAwait(false);
            }
            catch (Exception) when (_stop.IsCancellationRequested) { return; }
            catch (SocketException) { continue; }
            _ = Task.Run(() => ServeTcp(connection));
        }
    }

    private async Task ServeTcp(TcpClient connection)
    {
        using (connection)
        {
            var stream = connection.GetStream();
            var client = (IPEndPoint)connection.Client.RemoteEndPoint!;
            var lengthBytes = new byte[2];
            var gate = new object();
            // Bounded: one connection serves at most 1,000 queries, each read within 30 s.
            for (var i = 0; i < 1000 && !_stop.IsCancellationRequested; i++)
            {
                using var readTimeout = CancellationTokenSource.CreateLinkedTokenSource(_stop.Token);
                readTimeout.CancelAfter(TimeSpan.FromSeconds(30));
                try
                {
                    await stream.ReadExactlyAsync(lengthBytes, readTimeout.Token).ConfigureAwait(false);
                    var message = new byte[BinaryPrimitives.ReadUInt16BigEndian(lengthBytes)];
                    await stream.ReadExactlyAsync(message, readTimeout.Token).ConfigureAwait(false);
                    var work = Handle(message, client, tcp: true);
                    if (work is null) continue;
                    if (work.Value.Decision.Action == DnsLabAction.Reset)
                    {
                        // SO_LINGER 0: close() sends RST, as a server (or middlebox) that resets the connection.
                        Schedule(work.Value, _ => { lock (gate) { connection.Client.LingerState = new LingerOption(true, 0); connection.Client.Close(); } });
                        continue;
                    }
                    Schedule(work.Value, bytes =>
                    {
                        var framed = new byte[bytes.Length + 2];
                        BinaryPrimitives.WriteUInt16BigEndian(framed, (ushort)bytes.Length);
                        bytes.CopyTo(framed, 2);
                        lock (gate) stream.Write(framed);
                    });
                }
                catch (Exception e) when (e is IOException or OperationCanceledException or EndOfStreamException or SocketException or ObjectDisposedException)
                {
                    return;
                }
            }
        }
    }

    private (DnsLabQueryRecord Record, DnsLabDecision Decision, DnsMessage Query)? Handle(byte[] message, IPEndPoint client, bool tcp)
    {
        var at = _clock.Elapsed;
        DnsMessage query;
        try
        {
            query = DnsWire.Parse(message);
        }
        catch (DnsFormatException)
        {
            Interlocked.Increment(ref _malformed);
            return null;
        }
        if (query.Header.IsResponse || query.Header.QuestionCount == 0)
        {
            Interlocked.Increment(ref _malformed);
            return null;
        }

        // A parallel pair: another query from the same socket, still unanswered, arrived just before
        // (musl's batch, glibc's sendmmsg). A query sent after the previous answer (single-request) is not.
        var key = (tcp ? "tcp:" : "udp:") + client;
        var second = _lastByClient.TryGetValue(key, out var last)
            && at - last.ReceivedAt <= _options.ParallelWindow
            && last.RepliedAt is null
            && (last.Id != query.Header.Id || last.Type != query.QuestionType);

        var record = new DnsLabQueryRecord
        {
            Sequence = Interlocked.Increment(ref _sequence),
            ReceivedAt = at,
            Client = client,
            Transport = tcp ? "TCP" : "UDP",
            Id = query.Header.Id,
            Name = query.QuestionName,
            Type = query.QuestionType,
            Edns = query.HasEdns,
            Flags = query.Header.Flags,
        };
        _lastByClient[key] = record;
        if (Interlocked.Increment(ref _logged) <= _options.MaxLoggedQueries) _log.Enqueue(record);
        else Interlocked.Increment(ref _unlogged);

        DnsLabDecision decision;
        try
        {
            decision = _options.Policy(new DnsLabRequest(query.QuestionName, query.QuestionType, client, query.Header.Id, tcp, second));
        }
        catch (Exception)
        {
            decision = new DnsLabDecision(DnsLabAction.Respond, DnsRcode.ServFail, TimeSpan.Zero, Array.Empty<IPAddress>());
        }
        record.Action = decision.Action;
        if (decision.Action == DnsLabAction.Drop || (decision.Action == DnsLabAction.Reset && !tcp)) return null;
        return (record, decision, query);
    }

    private void Schedule((DnsLabQueryRecord Record, DnsLabDecision Decision, DnsMessage Query) work, Action<byte[]> send)
    {
        var (record, decision, query) = work;
        var delay = decision.Delay < TimeSpan.Zero ? TimeSpan.Zero : decision.Delay > _options.MaxDelay ? _options.MaxDelay : decision.Delay;
        void Reply()
        {
            try
            {
                if (decision.Action == DnsLabAction.Reset)
                {
                    record.RepliedAt = _clock.Elapsed;
                    send(Array.Empty<byte>());
                    return;
                }
                var truncated = decision.Truncate && record.Transport == "UDP";
                var addresses = truncated ? Array.Empty<IPAddress>() : decision.Addresses;
                var bytes = DnsWire.BuildResponse(query, decision.Rcode, addresses, truncated);
                record.Rcode = decision.Rcode;
                record.Truncated = truncated;
                record.AnswerCount = addresses.Count;
                record.RepliedAt = _clock.Elapsed;
                send(bytes);
            }
            catch (Exception e) when (e is SocketException or IOException or ObjectDisposedException) { }
        }
        lock (_due) _due.Enqueue(Reply, record.ReceivedAt + delay);
        _wake.Set();
    }
}
