using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using DnsClient;
using DnsClient.Protocol;
using DnsTools.Core.Dns;
using DnsTools.Core.Resolvers;
using Conf = DnsTools.Core.ResolvConf.ResolvConf;

namespace DnsTools.Core.ServerDiscovery;

/// <summary>What to ask which servers, how often and how fast.</summary>
public sealed class ServerDiscoveryOptions
{
    /// <summary>The servers to ask (address and port). Only these are ever sent a query.</summary>
    public required IReadOnlyList<IPEndPoint> Servers { get; init; }

    /// <summary>The names as an application asks them; with <see cref="ResolvConf"/> each becomes its search-list candidates.</summary>
    public required IReadOnlyList<string> Names { get; init; }

    /// <summary>The resolv.conf whose search list and ndots make the candidate names; null: the names as given.</summary>
    public Conf? ResolvConf { get; init; }

    /// <summary>Query types: A and AAAA (what getaddrinfo sends), plus any other type name or number.</summary>
    public IReadOnlyList<string> Types { get; init; } = new[] { "A", "AAAA" };

    /// <summary>UDP queries (no EDNS) per server, name and type: the latency distribution is over these.</summary>
    public int Count { get; init; } = 3;

    /// <summary>How long one query waits for its reply.</summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>At most this many queries leave per second (sends are spaced by its inverse).</summary>
    public double QueriesPerSecond { get; init; } = 20;

    /// <summary>A discovery that would send more queries than this is refused before the first one.</summary>
    public int MaxQueries { get; init; } = 1000;

    /// <summary>Ask each name and type once more with an EDNS0 OPT record.</summary>
    public bool CheckEdns { get; init; } = true;

    /// <summary>Ask each name and type over TCP too (otherwise only after a truncated UDP answer).</summary>
    public bool CheckTcp { get; init; }

    /// <summary>Latencies below this count as "at once" (no delay in the rule): loopback and LAN round trips.</summary>
    public TimeSpan MinDelay { get; init; } = TimeSpan.FromMilliseconds(10);
}

/// <summary>Progress of a discovery: queries sent of the most it may send, and what is being asked.</summary>
public readonly record struct ServerDiscoveryProgress(int Sent, int Planned, string Activity);

/// <summary>
/// Asks real DNS servers how they answer each candidate name a resolv.conf produces, one query at a
/// time, with DnsClient's <see cref="LookupClient"/> (no search list, no cache, no retries, no TCP
/// fallback of its own, so every query is one exchange on the wire), and turns the answers into
/// server-behaviour rules (<see cref="ServerRuleLearner"/>).
/// </summary>
public static class ServerDiscoverer
{
    public const int MaxCount = 100, MaxNames = 32, MaxTypes = 8, MaxServers = 3;

    /// <summary>
    /// The candidate names for every name: glibc's list (res_query.c __res_context_search), which
    /// also searches after trying a name with ndots or more dots as is (musl does not), merged with
    /// musl's and Go's lists so a search domain one of them keeps and another drops (length caps) is
    /// still asked. Fully qualified, in glibc's order, duplicates removed.
    /// </summary>
    public static IReadOnlyList<string> Candidates(IEnumerable<string> names, Conf? conf, List<string>? notes = null)
    {
        var list = new List<string>();
        foreach (var raw in names)
        {
            var name = raw.Trim();
            if (name.Length == 0) continue;
            IEnumerable<string> found;
            if (conf is null) found = new[] { name };
            else
            {
                var glibc = ResolverModel.For("glibc-2.36");
                var musl = ResolverModel.For("musl-1.2.3");
                var go = ResolverModel.For("go-1.22");
                found = glibc.Candidates(name, conf.Glibc).Concat(musl.Candidates(name, conf.Musl)).Concat(go.Candidates(name, conf.Go));
            }
            foreach (var candidate in found)
            {
                var fqdn = candidate.TrimEnd('.') + ".";
                if (list.Contains(fqdn, StringComparer.OrdinalIgnoreCase)) continue;
                try
                {
                    DnsWire.WriteName(new List<byte>(), fqdn);
                }
                catch (DnsFormatException e)
                {
                    notes?.Add($"'{fqdn}' is not asked: {e.Message} (no resolver sends it).");
                    continue;
                }
                list.Add(fqdn);
            }
        }
        return list;
    }

    /// <summary>Runs the discovery. Throws <see cref="ArgumentException"/> for bad options (before any query).</summary>
    public static DnsServerBehavior Discover(ServerDiscoveryOptions options, Action<ServerDiscoveryProgress>? progress = null, CancellationToken cancellation = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (options.Servers is null || options.Servers.Count == 0) throw new ArgumentException("No server to ask: name one (-Server) or give a resolv.conf with nameservers.", nameof(options));
        if (options.Servers.Count > MaxServers) throw new ArgumentException($"{options.Servers.Count} servers: at most {MaxServers} (as many as a resolv.conf may name).", nameof(options));
        if (options.Names is null || options.Names.Count == 0 || options.Names.All(string.IsNullOrWhiteSpace)) throw new ArgumentException("No name to ask.", nameof(options));
        if (options.Names.Count > MaxNames) throw new ArgumentException($"{options.Names.Count} names: at most {MaxNames}.", nameof(options));
        if (options.Count is < 1 or > MaxCount) throw new ArgumentException($"Count {options.Count}: use 1 to {MaxCount}.", nameof(options));
        if (options.QueriesPerSecond is <= 0 or > 1000 || double.IsNaN(options.QueriesPerSecond)) throw new ArgumentException($"QueriesPerSecond {options.QueriesPerSecond}: use more than 0 and at most 1000.", nameof(options));
        if (options.Timeout <= TimeSpan.Zero || options.Timeout > TimeSpan.FromMinutes(1)) throw new ArgumentException($"Timeout {options.Timeout.TotalSeconds} s: use more than 0 and at most 60 s.", nameof(options));
        var types = options.Types.Select(t => t.Trim()).Where(t => t.Length > 0).Distinct(StringComparer.OrdinalIgnoreCase).ToList();
        if (types.Count == 0) types = new List<string> { "A", "AAAA" };
        if (types.Count > MaxTypes) throw new ArgumentException($"{types.Count} types: at most {MaxTypes}.", nameof(options));
        var queryTypes = types.Select(ParseType).ToList();

        var notes = new List<string>();
        var candidates = Candidates(options.Names, options.ResolvConf, notes);
        if (candidates.Count == 0) throw new ArgumentException("No candidate name is valid DNS: nothing to ask.", nameof(options));
        // Per cell: the UDP queries, the EDNS one, a second look at a truncated or unreadable reply, and TCP once.
        var perCell = options.Count + (options.CheckEdns ? 1 : 0) + 2;
        var planned = options.Servers.Count * (1 + candidates.Count * queryTypes.Count * perCell);
        if (planned > options.MaxQueries)
            throw new ArgumentException($"This discovery may send {planned} queries ({options.Servers.Count} servers x {candidates.Count} candidates x {queryTypes.Count} types x {perCell}), more than the limit of {options.MaxQueries}: ask fewer names or types, lower Count, or raise MaxQueries.", nameof(options));

        WarmUp.Value.ToString();
        var clock = Stopwatch.StartNew();
        var pace = new Pacer(options.QueriesPerSecond);
        var sent = 0;
        void Report(string activity) => progress?.Invoke(new ServerDiscoveryProgress(sent, planned, activity));

        var observations = new List<DnsServerObservation>();
        var second = new Dictionary<string, DnsMessage?>();
        foreach (var server in options.Servers)
        {
            cancellation.ThrowIfCancellationRequested();
            var address = server.Address.ToString();
            Report($"{server}: where do replies come from");
            pace.Wait(cancellation);
            var foreign = ReplySource(server, candidates[0], options.Timeout, cancellation);
            sent++;
            if (foreign is not null)
                notes.Add($"@{server}: the reply came from {foreign}, not from the server. musl (res_msend.c), glibc (res_send.c, res_ourserver_p) and Go (a connected socket) drop such replies and wait: learned as no answer. DnsClient itself accepts them.");

            var udp = Client(server, options.Timeout, tcp: false, edns: false);
            var edns = Client(server, options.Timeout, tcp: false, edns: true);
            var tcpClient = Client(server, options.Timeout, tcp: true, edns: false);
            foreach (var name in candidates)
                foreach (var (typeName, type) in types.Zip(queryTypes))
                {
                    var samples = new List<DnsServerSample>();
                    for (var i = 0; i < options.Count; i++)
                    {
                        Report($"{server} {typeName} {name} ({i + 1}/{options.Count})");
                        pace.Wait(cancellation);
                        samples.Add(Ask(udp, server, name, typeName, type, DiscoveryTransport.Udp, options.Timeout, foreign, ref sent, second));
                        sent++;
                    }
                    DnsServerSample? ednsSample = null, tcpSample = null;
                    if (options.CheckEdns)
                    {
                        Report($"{server} {typeName} {name} with EDNS");
                        pace.Wait(cancellation);
                        ednsSample = Ask(edns, server, name, typeName, type, DiscoveryTransport.UdpEdns, options.Timeout, foreign, ref sent, second);
                        sent++;
                    }
                    if (options.CheckTcp || samples.Any(s => s.Truncated) || ednsSample is { Truncated: true })
                    {
                        Report($"{server} {typeName} {name} over TCP");
                        pace.Wait(cancellation);
                        tcpSample = Ask(tcpClient, server, name, typeName, type, DiscoveryTransport.Tcp, options.Timeout, null, ref sent, second);
                        sent++;
                    }
                    observations.Add(new DnsServerObservation
                    {
                        Server = server.ToString(),
                        ServerAddress = address,
                        Name = name,
                        Type = typeName.ToUpperInvariant(),
                        Samples = samples,
                        Edns = ednsSample,
                        Tcp = tcpSample,
                    });
                }
        }
        Report("done");
        var learned = ServerRuleLearner.Learn(observations, options.ResolvConf, options.MinDelay);
        notes.AddRange(learned.Notes);
        return new DnsServerBehavior
        {
            Servers = options.Servers.Select(s => s.ToString()).ToArray(),
            Names = options.Names.ToArray(),
            Candidates = candidates,
            Types = types.Select(t => t.ToUpperInvariant()).ToArray(),
            Count = options.Count,
            Observations = observations,
            LearnedRules = learned.Rules,
            Notes = notes,
            QueriesSent = sent,
            Duration = clock.Elapsed,
        };
    }

    private static QueryType ParseType(string text)
    {
        if (ushort.TryParse(text, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var number) && number > 0) return (QueryType)number;
        if (Enum.TryParse<QueryType>(text, ignoreCase: true, out var type) && Enum.IsDefined(type) && !int.TryParse(text, out _)) return type;
        throw new ArgumentException($"Unknown query type '{text}': use A, AAAA, MX, TXT, SRV, ... or a number.", nameof(text));
    }

    private static LookupClient Client(IPEndPoint server, TimeSpan timeout, bool tcp, bool edns)
        => new(new LookupClientOptions(new NameServer(server))
        {
            // One query is one exchange: no cache, no retries, no TCP fallback, no second server,
            // DNS errors returned as responses. EDNS: a buffer of 512 sends no OPT record (DnsQuerySettings.UseExtendedDns).
            UseCache = false,
            Retries = 0,
            Timeout = timeout,
            UseTcpFallback = false,
            UseTcpOnly = tcp,
            ThrowDnsErrors = false,
            ContinueOnDnsError = false,
            ContinueOnEmptyResponse = false,
            UseRandomNameServer = false,
            EnableAuditTrail = false,
            Recursion = true,
            RequestDnsSecRecords = false,
            ExtendedDnsBufferSize = edns ? 1232 : 512,
        });

    private static DnsServerSample Ask(LookupClient client, IPEndPoint server, string name, string typeName, QueryType type, DiscoveryTransport transport, TimeSpan timeout, string? foreignSource, ref int sent, Dictionary<string, DnsMessage?> secondLooks)
    {
        var watch = Stopwatch.StartNew();
        IDnsQueryResponse response;
        try
        {
            response = client.Query(new DnsQuestion(name, type));
        }
        catch (DnsResponseException e) when (transport != DiscoveryTransport.Tcp && e.Message.Contains("truncated", StringComparison.OrdinalIgnoreCase))
        {
            // DnsClient reports a TC answer (and a reply it cannot parse, taking it for a cut one) this
            // way without TCP fallback; our own reader tells which it was.
            var elapsed = watch.Elapsed;
            // Once per server, name and type: the answer does not change between the repeated queries.
            var key = $"{server} {name} {typeName}";
            if (!secondLooks.TryGetValue(key, out var raw))
            {
                sent++;
                secondLooks[key] = raw = RawExchange(server, name, (ushort)type, transport == DiscoveryTransport.UdpEdns ? (ushort)1232 : null, timeout);
            }
            var truncated = raw is { Header.Truncated: true };
            return new DnsServerSample
            {
                Server = server.ToString(), Name = name, Type = typeName.ToUpperInvariant(), Transport = transport,
                Outcome = truncated && foreignSource is null ? ServerResponseKind.Truncated : ServerResponseKind.NoAnswer,
                Rcode = truncated ? raw!.Header.Rcode.ToString().ToUpperInvariant() : null,
                Truncated = truncated, Latency = elapsed,
                Error = foreignSource is not null ? $"reply from {foreignSource}: dropped by the libcs"
                    : truncated ? null : $"malformed reply ({(raw is null ? "none on a second try" : "parsed as " + raw)})",
            };
        }
        // Whatever DnsClient throws for one exchange (DnsXidMismatchException derives from Exception
        // alone; a parse error may surface as IndexOutOfRange) is that query's result, never the run's end.
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            var elapsed = watch.Elapsed;
            var why = e is DnsResponseException { Code: DnsResponseCode.ConnectionTimeout } || e.InnerException is TimeoutException || e is TimeoutException
                ? $"no reply within {timeout.TotalMilliseconds:0} ms"
                : e is DnsXidMismatchException ? "reply with another id" : Describe(e);
            // Over TCP a refused or reset connection is an outcome of its own: the libcs move on at once (glibc send_vc).
            var socketError = transport == DiscoveryTransport.Tcp ? SocketErrorOf(e) : null;
            return new DnsServerSample
            {
                Server = server.ToString(), Name = name, Type = typeName.ToUpperInvariant(), Transport = transport,
                Outcome = socketError switch
                {
                    SocketError.ConnectionRefused => ServerResponseKind.ConnectionRefused,
                    SocketError.ConnectionReset => ServerResponseKind.Reset,
                    _ => ServerResponseKind.NoAnswer,
                },
                Latency = elapsed, Error = why,
            };
        }
        var latency = watch.Elapsed;
        var header = response.Header;
        var answers = response.Answers.Count(r => (ushort)r.RecordType == (ushort)type);
        var rcode = header.ResponseCode;
        ServerResponseKind kind = rcode switch
        {
            DnsHeaderResponseCode.NoError when header.ResultTruncated && answers == 0 => ServerResponseKind.Truncated,
            DnsHeaderResponseCode.NoError => answers > 0 ? ServerResponseKind.Answer : ServerResponseKind.NoData,
            DnsHeaderResponseCode.NotExistentDomain => ServerResponseKind.NxDomain,
            DnsHeaderResponseCode.ServerFailure => ServerResponseKind.ServFail,
            // The grammar has REFUSED; FORMERR and NOTIMP are treated alike by the libcs (musl ignores
            // every rcode but 0, 2 and 3; glibc moves on to the next server) and learned as REFUSED.
            _ => ServerResponseKind.Refused,
        };
        string? error = null;
        if (foreignSource is not null)
        {
            kind = ServerResponseKind.NoAnswer;
            error = $"reply from {foreignSource}: dropped by the libcs";
        }
        return new DnsServerSample
        {
            Server = server.ToString(), Name = name, Type = typeName.ToUpperInvariant(), Transport = transport,
            Outcome = kind, Rcode = RcodeName(rcode), AnswerCount = answers, Truncated = header.ResultTruncated,
            Latency = latency, Error = error,
        };
    }

    private static string RcodeName(DnsHeaderResponseCode rcode) => rcode switch
    {
        DnsHeaderResponseCode.NoError => "NOERROR",
        DnsHeaderResponseCode.FormatError => "FORMERR",
        DnsHeaderResponseCode.ServerFailure => "SERVFAIL",
        DnsHeaderResponseCode.NotExistentDomain => "NXDOMAIN",
        DnsHeaderResponseCode.NotImplemented => "NOTIMP",
        DnsHeaderResponseCode.Refused => "REFUSED",
        _ => ((int)rcode).ToString(System.Globalization.CultureInfo.InvariantCulture),
    };

    private static SocketError? SocketErrorOf(Exception e)
    {
        for (Exception? x = e; x is not null; x = x.InnerException)
            if (x is SocketException s) return s.SocketErrorCode;
        return null;
    }

    private static string Describe(Exception e)
    {
        var inner = e.InnerException is { } i && i.Message != e.Message ? $": {i.Message}" : "";
        var text = e.Message + inner;
        return text.Length > 200 ? text[..200] : text;
    }

    /// <summary>
    /// One query on a socket of our own (unconnected, so a reply from anywhere is seen): returns the
    /// source of the first reply with the query's id when it is not the server, else null (the server
    /// itself answered, or nothing did).
    /// </summary>
    private static string? ReplySource(IPEndPoint server, string name, TimeSpan timeout, CancellationToken cancellation)
    {
        using var socket = new Socket(server.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
        socket.Bind(new IPEndPoint(server.AddressFamily == AddressFamily.InterNetworkV6 ? IPAddress.IPv6Any : IPAddress.Any, 0));
        var id = (ushort)Random.Shared.Next(1, 65535);
        try
        {
            socket.SendTo(DnsWire.BuildQuery(id, name, DnsWire.TypeA), server);
        }
        catch (SocketException) { return null; }
        var buffer = new byte[65535];
        var deadline = Stopwatch.StartNew();
        // Bounded: the timeout, and at most 64 datagrams read.
        for (var i = 0; i < 64 && deadline.Elapsed < timeout && !cancellation.IsCancellationRequested; i++)
        {
            var left = timeout - deadline.Elapsed;
            if (!socket.Poll((int)Math.Max(1, Math.Min(left.TotalMicroseconds, int.MaxValue)), SelectMode.SelectRead)) return null;
            EndPoint from = new IPEndPoint(server.AddressFamily == AddressFamily.InterNetworkV6 ? IPAddress.IPv6Any : IPAddress.Any, 0);
            int received;
            try { received = socket.ReceiveFrom(buffer, ref from); }
            catch (SocketException) { continue; } // ICMP port unreachable from a closed port
            if (received < 2 || System.Buffers.Binary.BinaryPrimitives.ReadUInt16BigEndian(buffer) != id) continue;
            var source = (IPEndPoint)from;
            return source.Address.Equals(server.Address) && source.Port == server.Port ? null : source.ToString();
        }
        return null;
    }

    /// <summary>One query on our own socket, the reply parsed by the project's reader; null when none came, or it was malformed.</summary>
    private static DnsMessage? RawExchange(IPEndPoint server, string name, ushort type, ushort? edns, TimeSpan timeout)
    {
        using var socket = new Socket(server.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
        try
        {
            socket.Connect(server);
            var id = (ushort)Random.Shared.Next(1, 65535);
            socket.Send(DnsWire.BuildQuery(id, name, type, ednsUdpSize: edns));
            var buffer = new byte[65535];
            var watch = Stopwatch.StartNew();
            for (var i = 0; i < 16 && watch.Elapsed < timeout; i++)
            {
                if (!socket.Poll((int)Math.Max(1, (timeout - watch.Elapsed).TotalMicroseconds), SelectMode.SelectRead)) return null;
                var received = socket.Receive(buffer);
                try
                {
                    var message = DnsWire.Parse(buffer.AsSpan(0, received));
                    if (message.Header.Id == id && message.Header.IsResponse) return message;
                }
                catch (DnsFormatException) { return null; }
            }
        }
        catch (SocketException) { }
        return null;
    }

    /// <summary>
    /// DnsClient's first query in a process pays for JIT compilation (150+ ms here), which would read
    /// as server latency: one query to a responder of our own on loopback takes that cost first.
    /// </summary>
    private static readonly Lazy<bool> WarmUp = new(() =>
    {
        using var responder = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        responder.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        var endpoint = (IPEndPoint)responder.LocalEndPoint!;
        var answer = new Thread(() =>
        {
            var buffer = new byte[512];
            for (var i = 0; i < 2; i++)
            {
                if (!responder.Poll(2_000_000, SelectMode.SelectRead)) return;
                EndPoint from = new IPEndPoint(IPAddress.Any, 0);
                var n = responder.ReceiveFrom(buffer, ref from);
                try { responder.SendTo(DnsWire.BuildResponse(DnsWire.Parse(buffer.AsSpan(0, n)), DnsRcode.NxDomain, Array.Empty<IPAddress>()), from); }
                catch (DnsFormatException) { }
            }
        }) { IsBackground = true };
        answer.Start();
        foreach (var edns in new[] { false, true })
        {
            try { Client(endpoint, TimeSpan.FromSeconds(2), tcp: false, edns).Query(new DnsQuestion("warm-up.invalid.", QueryType.A)); }
            catch (DnsResponseException) { }
        }
        answer.Join(TimeSpan.FromSeconds(3));
        return true;
    });

    /// <summary>Spaces sends at least 1/rate apart.</summary>
    private sealed class Pacer
    {
        private readonly TimeSpan _gap;
        private readonly Stopwatch _clock = Stopwatch.StartNew();
        private TimeSpan? _last;

        public Pacer(double perSecond) => _gap = TimeSpan.FromSeconds(1 / perSecond);

        public void Wait(CancellationToken cancellation)
        {
            cancellation.ThrowIfCancellationRequested();
            if (_last is { } last)
            {
                var wait = last + _gap - _clock.Elapsed;
                if (wait > TimeSpan.Zero && cancellation.WaitHandle.WaitOne(wait)) cancellation.ThrowIfCancellationRequested();
            }
            _last = _clock.Elapsed;
        }
    }
}
