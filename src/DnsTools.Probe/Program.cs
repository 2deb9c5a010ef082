using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using DnsTools.Core.Capture;
using DnsTools.Core.Diagnosis;
using DnsTools.Core.Lab;
using DnsTools.Core.Probe;
using DnsTools.Core.ResolvConf;
using DnsTools.Core.Resolvers;
using DnsTools.Core.ServerDiscovery;

namespace DnsTools.Probe;

/// <summary>
/// dnstools-probe: Test-PodDnsLatency, Get-ResolverQueryPlan, Read-DnsCapture | Measure-DnsCapture
/// Get-DnsServerBehavior and Start-DnsLabServer for a pod, a node or CI, where no PowerShell runs. The options are
/// parsed by hand, as dnstools-lint's are: four commands with a dozen options do not need a
/// parser library, and startup time matters here.
/// </summary>
public static class Program
{
    public const int Ok = 0, Failed = 1, Usage = 2;

    /// <summary>Set by the test runner: the machine's own resolv.conf must never be used (as for Test-PodDnsLatency).</summary>
    private const string ForbidSystemResolvConf = "DNSTOOLS_FORBID_SYSTEM_RESOLV_CONF";
    private const string SystemResolvConf = "/etc/resolv.conf";

    public const string Help = """
        Usage:
          dnstools-probe [replay] NAME... [options]   replay a lookup (Test-PodDnsLatency)
          dnstools-probe plan NAME... --resolv-conf FILE [--server-behavior RULE]...
                                                      the queries a resolver would send (Get-ResolverQueryPlan)
          dnstools-probe capture FILE... [--client PATTERN]
                                                      lookups in a pcap, pcapng or tcpdump text (Measure-DnsCapture)
          dnstools-probe discover NAME... (--server ADDR[:PORT]... | --resolv-conf FILE) [--type TYPE]... [--count N]
                                                      how the named servers answer each candidate name (Get-DnsServerBehavior)
          dnstools-probe lab [--rule RULE]... [--listen ADDR:PORT]
                                                      a DNS server with fault rules until SIGTERM/Ctrl+C (Start-DnsLabServer)

        Replay options:
          --resolver LIST        musl-1.2.3, glibc-2.36, go-1.22 ... (comma list or repeated; default: all three)
          --mitigation LIST      none, ndots1, trailing-dot, single-request-reopen, single-request, no-aaaa, use-vc (default: none)
          --count N              lookups per resolver and mitigation; above 1, one summary each (p50/p95/p99); with
                                 --format jsonl each lookup's line as it completes, then the summary's (default: 1)
          --interval SECONDS     pause between lookups (default: 0)
          --timeout SECONDS      longest one lookup may take (default: 60)
          --resolv-conf FILE     the resolv.conf to replay (default: /etc/resolv.conf, the one this runs under; said on stderr)
          --server ADDR[:PORT]   send to this server instead of the resolv.conf's nameservers (repeatable)
          --fail-above MS        exit 1 when a lookup (capture: any lookup) takes longer than MS milliseconds
          --wait                 after the results, keep running until SIGTERM (a DaemonSet's container)
          --no-realtime          keep the replay at normal scheduling; by default its thread runs at the lowest
                                 real-time priority (SCHED_FIFO 1) during each lookup when permitted (CAP_SYS_NICE),
                                 so a busy CPU does not delay its queries; said on stderr when it cannot
        Plan options: --resolver, --resolv-conf (required), --server-behavior RULE (repeatable; the lab's rule syntax)
        Discover options (one query at a time, DnsClient, no search list or retries of its own):
          --name NAME            a name to ask (repeatable; as the positional names)
          --server ADDR[:PORT]   a server to ask (repeatable, at most 3); without it the --resolv-conf's nameservers
          --resolv-conf FILE     its search list and ndots make the candidate names (never read unless given)
          --type TYPE            a type to ask besides A and AAAA (repeatable)
          --count N              UDP queries per server, candidate and type, 1..100 (default: 3)
          --timeout SECONDS      how long one query waits, up to 60 (default: 5)
          --queries-per-second R at most R queries a second (default: 20); --max-queries N refuses a larger run (default: 1000)
          --check-tcp            ask over TCP too;  --no-edns   skip the EDNS0 check
        Lab options:
          --rule RULE            'AAAA * -> SERVFAIL after 1700ms', '*.cluster.local -> NXDOMAIN' ... (repeatable)
          --listen ADDR[:PORT]   where to listen, UDP and TCP (default: 127.0.0.1:53)
          --ipv4-answer ADDR, --ipv6-answer ADDR   the addresses answered (default: 192.0.2.1, 2001:db8::1)
        Common:
          -f, --format table|json|jsonl   output (default: table); JSON field names are the cmdlets' (camelCase,
                                          durations as ...Ms numbers, enums as strings); Import-DnsProbeResult reads jsonl
          -q, --quiet            no notes on stderr
          --version, -h, --help

        Exit codes: 0 ok; 1 a lookup failed (replay, plan) or took longer than --fail-above; 2 usage or any error
        (one line on stderr). Nothing is sent anywhere but the resolv.conf's nameservers or --server.
        """;

    public static int Main(string[] args)
    {
        try
        {
            return Run(args, Console.Out, Console.Error);
        }
        catch (UsageException e)
        {
            Console.Error.WriteLine($"dnstools-probe: {e.Message} (dnstools-probe --help)");
            return Usage;
        }
        catch (Exception e)
        {
            // Every error is one line and exit 2, never a crash.
            Console.Error.WriteLine($"dnstools-probe: {e.Message}");
            return Usage;
        }
    }

    public static int Run(string[] args, TextWriter stdout, TextWriter stderr)
    {
        if (args.Length == 0) throw new UsageException("no name given");
        var command = args[0] switch { "plan" or "capture" or "lab" or "replay" or "discover" => args[0], _ => "replay" };
        var rest = command == "replay" && args[0] != "replay" ? args : args[1..];
        var o = Options.Parse(rest, command);
        if (o.ShowHelp) { stdout.WriteLine(Help); return Ok; }
        if (o.ShowVersion) { stdout.WriteLine($"dnstools-probe {Version}"); return Ok; }
        var output = new ResultWriter(o.Format, stdout);
        using var stop = new CancellationTokenSource();
        // Ctrl+C and SIGTERM (kubectl, podman stop) end the run: a replay writes what it measured, a lab server stops.
        using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, c => { c.Cancel = true; stop.Cancel(); });
        using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, c => { c.Cancel = true; stop.Cancel(); });
        var notes = o.Quiet ? TextWriter.Null : stderr;
        var code = command switch
        {
            "plan" => RunPlan(o, output),
            "capture" => RunCapture(o, output, notes, stop.Token),
            "lab" => RunLab(o, notes, stop.Token),
            "discover" => RunDiscover(o, output, notes, stop.Token),
            _ => RunReplay(o, output, notes, stop.Token),
        };
        output.Finish();
        return code;
    }

    public static string Version
        => typeof(Program).Assembly.GetCustomAttributes(typeof(System.Reflection.AssemblyInformationalVersionAttribute), false)
            .OfType<System.Reflection.AssemblyInformationalVersionAttribute>().FirstOrDefault()?.InformationalVersion.Split('+')[0] ?? "0.0.0";

    private static int RunReplay(Options o, ResultWriter output, TextWriter notes, CancellationToken stop)
    {
        if (o.Names.Count == 0) throw new UsageException("no name given");
        var specs = o.Resolvers.Count > 0 ? o.Resolvers.Select(ParseResolver).ToList()
            : new[] { "musl-1.2.3", "glibc-2.36", "go-1.22" }.Select(ResolverSpec.Parse).ToList();
        var mitigations = o.Mitigations.Count > 0 ? o.Mitigations.Select(ParseMitigation).ToList() : new List<DnsMitigation> { DnsMitigation.None };
        var servers = o.Servers.Select(ParseServer).ToList();
        var conf = o.ResolvConf is { } file ? ReadResolvConf(file) : ReadSystemResolvConf(notes);
        if (servers.Count == 0 && conf.Nameservers.Count == 0)
            notes.WriteLine($"dnstools-probe: {conf.Source} names no nameserver: the resolvers fall back to 127.0.0.1.");
        var target = servers.Count > 0 ? string.Join(", ", servers) : string.Join(", ", conf.Nameservers.Select(n => $"{n.Address}:{n.Port}"));
        notes.WriteLine($"dnstools-probe: sending to {target}");
        var options = new DnsProbeOptions { Servers = servers.Count > 0 ? servers : null, MaxLookupTime = TimeSpan.FromSeconds(o.Timeout), Realtime = !o.NoRealtime };
        var code = Ok;
        string? saidScheduling = null;
        output.Begin(o.Count > 1 ? ResultKind.Summary : ResultKind.Lookup);
        foreach (var name in o.Names)
            foreach (var spec in specs)
                foreach (var mitigation in mitigations)
                {
                    var lookups = new List<ObservedLookup>();
                    for (var i = 0; i < o.Count && !stop.IsCancellationRequested; i++)
                    {
                        ObservedLookup lookup;
                        try { lookup = DnsProbe.Run(name, conf, spec, options, mitigation, stop); }
                        catch (OperationCanceledException) { break; }
                        catch (ArgumentException e) { throw new UsageException($"'{name}': {e.Message}"); }
                        lookups.Add(lookup);
                        // Why a lookup ran at normal scheduling, once per reason (--no-realtime says it itself).
                        if (lookup.NormalSchedulingReason is { } why && why != saidScheduling && !o.NoRealtime)
                            notes.WriteLine($"dnstools-probe: scheduling normal: {saidScheduling = why}");
                        if (lookup.Succeeded != true || (o.FailAboveMs is { } limit && lookup.DurationMs > limit)) code = Failed;
                        // One lookup: its row. Several: their summary below; as JSON lines each lookup is written as it
                        // completes too, so `kubectl logs -f` shows progress (Import-DnsProbeResult reads both kinds).
                        if (o.Count == 1 || o.Format == OutputFormat.Jsonl) output.Write(lookup);
                        if (o.Interval > 0 && i < o.Count - 1 && stop.WaitHandle.WaitOne(TimeSpan.FromSeconds(o.Interval))) break;
                    }
                    if (o.Count > 1 && lookups.Count > 0) output.Write(DnsProbeSummary.From(lookups));
                    if (stop.IsCancellationRequested)
                    {
                        notes.WriteLine("dnstools-probe: stopped; the results above are what was measured");
                        return code;
                    }
                }
        if (o.Wait)
        {
            output.Finish();
            notes.WriteLine("dnstools-probe: done; waiting for SIGTERM (--wait)");
            stop.WaitHandle.WaitOne();
        }
        return code;
    }

    private static int RunPlan(Options o, ResultWriter output)
    {
        if (o.Names.Count == 0) throw new UsageException("plan: no name given");
        // Required on purpose, as for Get-ResolverQueryPlan: a plan is computed, so it has no "the one it runs under".
        if (o.ResolvConf is null) throw new UsageException("plan: --resolv-conf FILE is required");
        var conf = ReadResolvConf(o.ResolvConf);
        var models = (o.Resolvers.Count > 0 ? o.Resolvers : new List<string> { "musl-1.2.3" }).Select(r => ResolverModel.For(ParseResolver(r))).ToList();
        ServerBehavior behavior;
        try { behavior = ServerBehavior.Parse(o.ServerBehavior); }
        catch (FormatException e) { throw new UsageException($"--server-behavior: {e.Message}"); }
        var code = Ok;
        output.Begin(ResultKind.Plan);
        foreach (var name in o.Names)
            foreach (var model in models)
            {
                QueryPlan plan;
                try { plan = model.Plan(name, conf, behavior); }
                catch (ArgumentException e) { throw new UsageException($"'{name}': {e.Message}"); }
                if (plan.Result != LookupResult.Success) code = Failed;
                output.Write(plan);
            }
        return code;
    }

    private static int RunCapture(Options o, ResultWriter output, TextWriter notes, CancellationToken stop)
    {
        if (o.Names.Count == 0) throw new UsageException("capture: no file given");
        var code = Ok;
        output.Begin(ResultKind.Capture);
        foreach (var file in o.Names)
        {
            var stats = new CaptureReadStatistics();
            using var stream = OpenCapture(file);
            var magic = new byte[4];
            var n = stream.ReadAtLeast(magic, 4, throwOnEndOfStream: false);
            stream.Position = 0;
            var isCapture = n == 4 && BitConverter.ToUInt32(magic, 0) is 0x0A0D0D0A or 0xA1B2C3D4 or 0xD4C3B2A1 or 0xA1B23C4D or 0x4D3CB2A1;
            IEnumerable<DnsPacket> packets = isCapture ? PcapReader.Read(stream, stats, file, null, stop) : TcpdumpTextReader.Read(ReadLines(stream, stop), stats, file);
            try
            {
                foreach (var lookup in CaptureAnalyzer.Lookups(CaptureAnalyzer.Pair(packets)))
                {
                    if (o.Clients.Count > 0 && !o.Clients.Any(c => Glob(c, lookup.Client))) continue;
                    if (o.FailAboveMs is { } limit && lookup.DurationMs > limit) code = Failed;
                    output.Write(lookup);
                }
            }
            catch (OperationCanceledException)
            {
                return code;
            }
            catch (InvalidDataException e)
            {
                throw new InvalidDataException($"{file}: {e.Message}", e);
            }
            foreach (var w in stats.Warnings(file)) notes.WriteLine($"dnstools-probe: {w}");
            if (stats.DnsMessages == 0) notes.WriteLine($"dnstools-probe: {file}: no DNS messages found");
        }
        return code;
    }

    private static int RunDiscover(Options o, ResultWriter output, TextWriter notes, CancellationToken stop)
    {
        if (o.Names.Count == 0) throw new UsageException("discover: no name given");
        var conf = o.ResolvConf is { } file ? ReadResolvConf(file) : null;
        var servers = o.Servers.Select(ParseServer).ToList();
        // As Get-DnsServerBehavior: only the servers named or the nameservers of the resolv.conf given, never this machine's own.
        if (servers.Count == 0)
        {
            if (conf is null) throw new UsageException("discover: name the servers to ask (--server) or give a resolv.conf (--resolv-conf); nothing else is asked");
            if (conf.Nameservers.Count == 0) throw new UsageException($"discover: {conf.Source} names no nameserver: name the servers to ask with --server");
            servers = conf.Nameservers.Take(ServerDiscoverer.MaxServers).Select(n => new IPEndPoint(n.Address, n.Port)).ToList();
        }
        var types = new List<string> { "A", "AAAA" };
        types.AddRange(o.Types.Where(t => !types.Contains(t, StringComparer.OrdinalIgnoreCase)));
        var options = new ServerDiscoveryOptions
        {
            Servers = servers,
            Names = o.Names,
            ResolvConf = conf,
            Types = types,
            Count = o.CountGiven ? o.Count : 3,
            Timeout = TimeSpan.FromSeconds(o.TimeoutGiven ? o.Timeout : 5),
            QueriesPerSecond = o.QueriesPerSecond,
            MaxQueries = o.MaxQueries,
            CheckEdns = !o.NoEdns,
            CheckTcp = o.CheckTcp,
        };
        output.Begin(ResultKind.Behavior);
        DnsServerBehavior behavior;
        var lastReported = -1;
        try
        {
            // Progress on stderr, a line per tenth of the planned queries (a log stays short).
            behavior = ServerDiscoverer.Discover(options, p =>
            {
                // Said once the options passed Core's checks (a refused run writes its one error line only).
                if (lastReported < 0) notes.WriteLine($"dnstools-probe: asking {string.Join(", ", servers)}");
                var tenth = p.Sent * 10 / Math.Max(1, p.Planned);
                if (tenth == lastReported) return;
                lastReported = tenth;
                notes.WriteLine($"dnstools-probe: {p.Sent}/{p.Planned} queries: {p.Activity}");
            }, stop);
        }
        catch (OperationCanceledException)
        {
            notes.WriteLine("dnstools-probe: stopped before the discovery completed; nothing learned");
            return Failed;
        }
        catch (ArgumentException e)
        {
            // Core's message names the cmdlet's parameters: say the options' names.
            throw new UsageException("discover: " + e.Message.Replace("lower Count", "lower --count", StringComparison.Ordinal)
                .Replace("raise MaxQueries", "raise --max-queries", StringComparison.Ordinal));
        }
        foreach (var note in behavior.Notes) notes.WriteLine($"dnstools-probe: {note}");
        notes.WriteLine(string.Create(CultureInfo.InvariantCulture, $"dnstools-probe: {behavior.QueriesSent} queries in {behavior.DurationMs / 1000:0.0} s"));
        output.Write(behavior);
        return Ok;
    }

    private static int RunLab(Options o, TextWriter notes, CancellationToken stop)
    {
        if (o.Names.Count > 0) throw new UsageException($"lab takes no name ('{o.Names[0]}'): rules go in --rule");
        ServerBehavior behavior;
        try { behavior = ServerBehavior.Parse(o.Rules); }
        catch (FormatException e) { throw new UsageException($"--rule: {e.Message}"); }
        var listen = o.Listen is { } l ? ParseServer(l) : new IPEndPoint(IPAddress.Loopback, 53);
        var ipv4 = o.IPv4Answer is { } a4 ? ParseAddress(a4, "--ipv4-answer") : DnsLabPolicy.DefaultIPv4Answer;
        var ipv6 = o.IPv6Answer is { } a6 ? ParseAddress(a6, "--ipv6-answer") : DnsLabPolicy.DefaultIPv6Answer;
        if (!IPAddress.IsLoopback(listen.Address))
            notes.WriteLine($"dnstools-probe: listening on {listen.Address}, which is not a loopback address: other hosts can reach this server");
        DnsLabServer server;
        try
        {
            server = DnsLabServer.Start(new DnsLabServerOptions
            {
                Address = listen.Address,
                Port = listen.Port,
                Policy = DnsLabPolicy.FromBehavior(behavior, listen.Address.ToString(), ipv4, ipv6),
                Description = behavior.ToString(),
                // Runs for days in a pod: keep a bounded log.
                MaxLoggedQueries = 10_000,
            });
        }
        catch (SocketException e)
        {
            throw new IOException(e.Message, e);
        }
        using (server)
        {
            // Said on stderr (always, even with --quiet) so a test or a user knows it is ready.
            Console.Error.WriteLine($"dnstools-probe lab: listening on {server.EndPoint} (UDP and TCP): {behavior}");
            stop.WaitHandle.WaitOne();
            var count = server.Queries.Count;
            server.Stop();
            notes.WriteLine($"dnstools-probe lab: stopped after {count}{(server.UnloggedQueries > 0 ? "+" : "")} queries");
        }
        return Ok;
    }

    private static ResolvConf ReadSystemResolvConf(TextWriter notes)
    {
        if (!string.IsNullOrEmpty(Environment.GetEnvironmentVariable(ForbidSystemResolvConf)))
            throw new UsageException($"no --resolv-conf given, and {ForbidSystemResolvConf} forbids reading {SystemResolvConf} here: pass --resolv-conf (and --server)");
        var conf = ReadResolvConf(SystemResolvConf);
        // Said out loud: the replay queries this machine's (or pod's) nameservers.
        notes.WriteLine($"dnstools-probe: using {SystemResolvConf} of this machine or pod: nameserver {string.Join(", ", conf.Nameservers.Select(n => n.Address))}"
            + (conf.Search.Count > 0 ? $"; search {string.Join(' ', conf.Search)}" : "")
            + (conf.Options.Count > 0 ? $"; options {string.Join(' ', conf.Options)}" : ""));
        return conf;
    }

    private static ResolvConf ReadResolvConf(string path)
    {
        try { return ResolvConfParser.ParseFile(path); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new IOException($"cannot read the resolv.conf '{path}': {e.Message}", e);
        }
    }

    private static FileStream OpenCapture(string file)
    {
        try { return new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new IOException($"cannot read the capture '{file}': {e.Message}", e);
        }
    }

    private static IEnumerable<string> ReadLines(Stream stream, CancellationToken stop)
    {
        using var reader = new StreamReader(stream, leaveOpen: true);
        while (reader.ReadLine() is { } line)
        {
            stop.ThrowIfCancellationRequested();
            yield return line;
        }
    }

    /// <summary>* and ? as Measure-DnsCapture -Client takes them, case-insensitive.</summary>
    private static bool Glob(string pattern, string text)
        => System.Text.RegularExpressions.Regex.IsMatch(text,
            "^" + System.Text.RegularExpressions.Regex.Escape(pattern).Replace(@"\*", ".*").Replace(@"\?", ".") + "$",
            System.Text.RegularExpressions.RegexOptions.IgnoreCase | System.Text.RegularExpressions.RegexOptions.CultureInvariant);

    private static ResolverSpec ParseResolver(string text)
    {
        ResolverSpec spec;
        try { spec = ResolverSpec.Parse(text); }
        catch (ArgumentException e) { throw new UsageException($"--resolver: {e.Message}"); }
        // A release newer than those modelled: say whose behaviour is replayed.
        if (spec.Warning is { } warning) Console.Error.WriteLine($"dnstools-probe: warning: {warning}");
        return spec;
    }

    /// <summary>The cmdlet's names (NoAaaa) or resolv.conf's spelling (no-aaaa), case-insensitive.</summary>
    private static DnsMitigation ParseMitigation(string text)
    {
        var key = text.Replace("-", "", StringComparison.Ordinal).Replace("_", "", StringComparison.Ordinal);
        foreach (var m in Enum.GetValues<DnsMitigation>())
            if (string.Equals(m.ToString(), key, StringComparison.OrdinalIgnoreCase)) return m;
        throw new UsageException($"--mitigation: unknown '{text}' (none, ndots1, trailing-dot, single-request-reopen, single-request, no-aaaa, use-vc)");
    }

    private static IPEndPoint ParseServer(string text)
    {
        try { return DnsProbe.ParseServer(text); }
        catch (Exception e) when (e is FormatException or ArgumentException) { throw new UsageException(e.Message); }
    }

    private static IPAddress ParseAddress(string text, string option)
        => IPAddress.TryParse(text, out var a) ? a : throw new UsageException($"{option}: '{text}' is not an IP address");
}

/// <summary>A mistake in the command line: exit 2 with the message and a pointer to --help.</summary>
public sealed class UsageException(string message) : Exception(message);

public enum OutputFormat { Table, Json, Jsonl }

/// <summary>The command line, parsed: --flag value and --flag=value; lists by commas or repetition.</summary>
public sealed class Options
{
    public List<string> Names { get; } = new();
    public List<string> Resolvers { get; } = new();
    public List<string> Mitigations { get; } = new();
    public List<string> Servers { get; } = new();
    public List<string> ServerBehavior { get; } = new();
    public List<string> Rules { get; } = new();
    public List<string> Clients { get; } = new();
    public List<string> Types { get; } = new();
    public bool CountGiven { get; private set; }
    public bool TimeoutGiven { get; private set; }
    public double QueriesPerSecond { get; private set; } = 20;
    public int MaxQueries { get; private set; } = 1000;
    public bool CheckTcp { get; private set; }
    public bool NoEdns { get; private set; }
    public int Count { get; private set; } = 1;
    public double Interval { get; private set; }
    public double Timeout { get; private set; } = 60;
    public double? FailAboveMs { get; private set; }
    public string? ResolvConf { get; private set; }
    public string? Listen { get; private set; }
    public string? IPv4Answer { get; private set; }
    public string? IPv6Answer { get; private set; }
    public OutputFormat Format { get; private set; } = OutputFormat.Table;
    public bool Quiet { get; private set; }
    public bool Wait { get; private set; }
    public bool NoRealtime { get; private set; }
    public bool ShowHelp { get; private set; }
    public bool ShowVersion { get; private set; }

    public static Options Parse(IReadOnlyList<string> args, string command)
    {
        var o = new Options();
        var onlyNames = false;
        for (var i = 0; i < args.Count; i++)
        {
            var a = args[i];
            if (onlyNames || !a.StartsWith('-') || a == "-") { o.Names.Add(a); continue; }
            if (a == "--") { onlyNames = true; continue; }
            string? inline = null;
            var eq = a.IndexOf('=');
            if (a.StartsWith("--", StringComparison.Ordinal) && eq > 0) { inline = a[(eq + 1)..]; a = a[..eq]; }
            string Value()
            {
                if (inline is not null) return inline;
                if (i + 1 >= args.Count) throw new UsageException($"{a} needs a value");
                return args[++i];
            }
            IEnumerable<string> List() => Value().Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            void Only(params string[] commands)
            {
                if (!commands.Contains(command)) throw new UsageException($"{a} is not an option of {(command == "replay" ? "a replay" : command)}");
            }
            switch (a)
            {
                case "-h" or "--help": o.ShowHelp = true; break;
                case "--version": o.ShowVersion = true; break;
                case "-q" or "--quiet": o.Quiet = true; break;
                case "-f" or "--format":
                    var f = Value();
                    o.Format = f.ToLowerInvariant() switch
                    {
                        "table" => OutputFormat.Table, "json" => OutputFormat.Json, "jsonl" => OutputFormat.Jsonl,
                        _ => throw new UsageException($"--format: unknown '{f}' (table, json, jsonl)"),
                    };
                    break;
                case "--resolver": Only("replay", "plan"); o.Resolvers.AddRange(List()); break;
                case "--mitigation": Only("replay"); o.Mitigations.AddRange(List()); break;
                case "--server": Only("replay", "discover"); o.Servers.AddRange(List()); break;
                case "--resolv-conf": Only("replay", "plan", "discover"); o.ResolvConf = Value(); break;
                case "--count":
                    Only("replay", "discover");
                    o.Count = (int)Number(a, Value(), 1, command == "discover" ? ServerDiscoverer.MaxCount : 100000, integer: true);
                    o.CountGiven = true;
                    break;
                case "--no-realtime": Only("replay"); o.NoRealtime = true; break;
                case "--interval": Only("replay"); o.Interval = Number(a, Value(), 0, 3600); break;
                case "--timeout":
                    Only("replay", "discover");
                    o.Timeout = Number(a, Value(), 0.1, command == "discover" ? 60 : 3600);
                    o.TimeoutGiven = true;
                    break;
                case "--name": Only("discover"); o.Names.AddRange(List()); break;
                case "--type": Only("discover"); o.Types.AddRange(List()); break;
                case "--queries-per-second": Only("discover"); o.QueriesPerSecond = Number(a, Value(), 0.01, 1000); break;
                case "--max-queries": Only("discover"); o.MaxQueries = (int)Number(a, Value(), 1, 100000, integer: true); break;
                case "--check-tcp": Only("discover"); o.CheckTcp = true; break;
                case "--no-edns": Only("discover"); o.NoEdns = true; break;
                case "--fail-above": Only("replay", "capture"); o.FailAboveMs = Number(a, Value(), 0, 3_600_000); break;
                case "--wait": Only("replay"); o.Wait = true; break;
                case "--server-behavior": Only("plan"); o.ServerBehavior.Add(Value()); break;
                case "--client": Only("capture"); o.Clients.AddRange(List()); break;
                case "--rule": Only("lab"); o.Rules.Add(Value()); break;
                case "--listen": Only("lab"); o.Listen = Value(); break;
                case "--ipv4-answer": Only("lab"); o.IPv4Answer = Value(); break;
                case "--ipv6-answer": Only("lab"); o.IPv6Answer = Value(); break;
                default: throw new UsageException($"unknown option {a}");
            }
        }
        return o;
    }

    private static double Number(string option, string text, double min, double max, bool integer = false)
    {
        if (!double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var v) || double.IsNaN(v) || (integer && v != Math.Floor(v)))
            throw new UsageException($"{option}: '{text}' is not a{(integer ? "n integer" : " number")}");
        if (v < min || v > max) throw new UsageException($"{option}: {text} is outside {min.ToString(CultureInfo.InvariantCulture)}..{max.ToString(CultureInfo.InvariantCulture)}");
        return v;
    }
}
