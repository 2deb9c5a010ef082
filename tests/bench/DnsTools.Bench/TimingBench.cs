using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using DnsTools.Core.Probe;
using DnsTools.Core.ResolvConf;
using DnsTools.Core.Resolvers;

namespace DnsTools.Bench;

/// <summary>
/// The probe's timing against the real libcs, measured in the same run by the same logging server
/// (tests/Pester/Conformance/dnssrv.c: every query stamped with the kernel's receive time, every reply
/// with the time its sendto returned, both CLOCK_MONOTONIC):
/// - pair gap: A and AAAA of one name from one socket, second received minus first received;
/// - reaction: a new name's first query received minus the last reply sent before it (the lookup moves
///   to the next search candidate when both answers are NXDOMAIN);
/// - first query: the lookup's start (getaddrinfo called / DnsProbe.Run called) to its first query received.
/// Clients: the real musl (Debian musl-gcc -static) and glibc getaddrinfo clients of the conformance
/// tests, each a fresh process in its own network namespace (run.sh), and the probe as musl-1.2.3 and
/// glibc-2.36: warm (in this process), cold (the first lookup of a fresh JIT process), and cold native
/// (the NativeAOT dnstools-probe, when built). Twice: on the machine as it is, then with one busy process per
/// CPU beside it (bounded by the phase; see <see cref="BusyLoad"/>). Bounded: a fixed number of runs, each at most 20 s.
/// </summary>
internal static class TimingBench
{
    private const string Conf = "nameserver 127.0.0.1\nsearch a.test b.test c.test\noptions ndots:5 timeout:2 attempts:1\n";
    private const string Rules = "* * *.test nxdomain 0 1 0\n";
    private const int RealRuns = 15, ColdRuns = 10, WarmRuns = 40;

    public static int Run(string conformanceDir, string? nativeProbe, bool coldOnly = false, string coldLabel = "JIT")
    {
        var work = Path.Combine(Path.GetTempPath(), $"dnstools-timing-{Environment.ProcessId}");
        Directory.CreateDirectory(work);
        try
        {
            var dnssrv = Path.Combine(work, "dnssrv");
            if (Compile("gcc", "-O1", "-o", dnssrv, Path.Combine(conformanceDir, "dnssrv.c")) is { } noServer)
            {
                Console.WriteLine($"timing: SKIPPED ({noServer})");
                return 0;
            }
            var realSkip = coldOnly ? "cold probe runs only" : RealSkipReason();
            var clients = new List<(string Label, string Path)>();
            if (realSkip is null)
            {
                foreach (var (label, cc, extra) in new[] { ("real musl (Debian musl-gcc)", "musl-gcc", "-static"), ("real glibc (host gcc)", "gcc", "") })
                {
                    var path = Path.Combine(work, cc == "gcc" ? "gai-glibc" : "gai-musl");
                    var args = new List<string> { "-O1", "-o", path, Path.Combine(conformanceDir, "gai.c") };
                    if (extra.Length > 0) args.Insert(0, extra);
                    if (Compile(cc, args.ToArray()) is { } why) Console.WriteLine($"  {label}: SKIPPED ({why})");
                    else clients.Add((label, path));
                }
            }
            var status = 0;
            foreach (var loaded in coldOnly ? new[] { false } : new[] { false, true })
            {
                using var load = loaded ? new BusyLoad(Environment.ProcessorCount, TimeSpan.FromMinutes(4)) : null;
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"timing: {(loaded ? $"with {Environment.ProcessorCount} busy processes beside the bench" : "machine as it is")}; load average {LoadAverage()}; {Environment.ProcessorCount} CPUs"));
                Console.WriteLine("  client                              pair gap us: median    p99   n | reaction us: median    p99   n | first query us: median    p99");
                if (realSkip is not null) Console.WriteLine($"  real clients: SKIPPED ({realSkip})");
                var real = new List<Figures>();
                foreach (var (label, path) in clients)
                {
                    real.Add(MeasureReal(work, conformanceDir, dnssrv, path));
                    Print(label, real[^1]);
                }
                foreach (var resolver in new[] { "musl-1.2.3", "glibc-2.36" })
                {
                    // The replay's thread at real-time priority (when this process may: root) and at normal scheduling,
                    // the fallback without CAP_SYS_NICE, in the same phase.
                    foreach (var realtime in new[] { true, false })
                    {
                        var sched = realtime ? "rt" : "normal";
                        if (!coldOnly) status |= Print($"probe {resolver} warm {sched}", MeasureWarm(work, dnssrv, resolver, realtime), real);
                        status |= Print($"probe {resolver} cold {coldLabel} {sched}", MeasureCold(work, dnssrv, resolver, native: null, WarmUp.Sync, realtime), real);
                        if (nativeProbe is not null) status |= Print($"probe {resolver} cold AOT {sched}", MeasureCold(work, dnssrv, resolver, nativeProbe, WarmUp.Sync, realtime), real);
                    }
                    // The first lookup of a JIT process: the warm-up at module import (done before the lookup starts, as
                    // for an interactive user), in both phases, and none at all (quiet only: it shows what the warm-up
                    // saves); both real-time when permitted.
                    status |= Print($"probe {resolver} cold {coldLabel} import-wu rt", MeasureCold(work, dnssrv, resolver, native: null, WarmUp.AtImport, realtime: true), real);
                    if (!loaded || coldOnly)
                        status |= Print($"probe {resolver} cold {coldLabel} no-wu rt", MeasureCold(work, dnssrv, resolver, native: null, WarmUp.None, realtime: true));
                }
            }
            Console.WriteLine("  first query: from the lookup's start (getaddrinfo called / DnsProbe.Run called, a synchronous warm-up included) to its");
            Console.WriteLine("  first query on the wire; 'warm-up' rows: its cost (ms, in the lookup's call for sync, on a background thread at");
            Console.WriteLine("  import for import-wu) and the first query after the warm-up ended. rt: the replay thread at SCHED_FIFO 1 (when");
            Console.WriteLine("  the row's 'scheduling' says realtime); normal: as without CAP_SYS_NICE. NativeAOT rows: no START (see the startup bench).");
            Console.WriteLine("  targets (issue 12): pair gap median <= 50 us and p99 <= 1000 us; reaction and first query p99 <= 1000 us; checked");
            Console.WriteLine("  on the real-time rows (MISS), the first query from the warm-up's end; a normal-scheduling row over a target is");
            Console.WriteLine("  shown beside the real clients' figure ('normal'); the no-wu rows show what the warm-up saves and are not checked.");
            return status;
        }
        finally
        {
            try { Directory.Delete(work, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
        }
    }

    /// <summary>Runs one lookup of this process's first (cold) and prints the lookup's start on CLOCK_MONOTONIC: the child of <see cref="MeasureCold"/>.</summary>
    public enum WarmUp { Sync, AtImport, None }

    /// <summary>
    /// The child of <see cref="MeasureCold"/>: one lookup, this process's first. Prints the lookup's start, the warm-up's
    /// start and end (CLOCK_MONOTONIC ns) and the scheduling the lookup reports. AtImport starts the warm-up as the
    /// module's import does and lets it finish first, as an interactive user's first command does.
    /// </summary>
    public static int ProbeOnce(string port, string resolver, string name, WarmUp warmUp, bool realtime)
    {
        ProbeWarmUp.Disabled = warmUp == WarmUp.None;
        if (warmUp == WarmUp.AtImport)
        {
            ProbeWarmUp.StartInBackground();
            while (ProbeWarmUp.BackgroundEnded == 0) Thread.Sleep(5);
        }
        var conf = ResolvConfParser.Parse(Conf);
        var options = new DnsProbeOptions { Servers = new[] { new IPEndPoint(IPAddress.Loopback, int.Parse(port, CultureInfo.InvariantCulture)) }, MaxLookupTime = TimeSpan.FromSeconds(5), Realtime = realtime };
        var spec = ResolverSpec.Parse(resolver);
        var start = MonotonicNs();
        var lookup = DnsProbe.Run(name, conf, spec, options);
        var (from, to) = warmUp == WarmUp.AtImport ? (ProbeWarmUp.BackgroundStarted, ProbeWarmUp.BackgroundEnded) : (ProbeWarmUp.LastStarted, ProbeWarmUp.LastEnded);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"START {start}"));
        if (to != 0) Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"WARMUP {StampNs(from)} {StampNs(to)}"));
        Console.WriteLine($"SCHED {lookup.Scheduling}");
        return 0;
    }

    private static long StampNs(long stamp) => (long)(stamp * (1e9 / Stopwatch.Frequency));

    private sealed record Figures(List<double> PairGaps, List<double> Reactions, List<double> FirstQueries, int Lookups)
    {
        public List<double> WarmUpMs { get; } = new();
        public List<double> AfterWarmUp { get; } = new();
        public HashSet<string> Scheduling { get; } = new();
    }

    private static Figures MeasureReal(string work, string conformanceDir, string dnssrv, string client)
    {
        var f = new Figures(new(), new(), new(), 0);
        var lookups = 0;
        for (var i = 0; i < RealRuns; i++)
        {
            var dir = Path.Combine(work, $"real-{Path.GetFileName(client)}-{i}");
            Directory.CreateDirectory(dir);
            File.Copy(dnssrv, Path.Combine(dir, "dnssrv"), overwrite: true);
            File.WriteAllText(Path.Combine(dir, "resolv.conf"), Conf);
            File.WriteAllText(Path.Combine(dir, "hosts"), "127.0.0.1 localhost\n::1 localhost\n");
            File.WriteAllText(Path.Combine(dir, "nsswitch.conf"), "hosts: files dns\n");
            File.WriteAllText(Path.Combine(dir, "rules"), Rules);
            var name = $"l{i}.svc.example";
            if (RunProcess("timeout", "-k", "5", "20", "unshare", "-n", "-m", "sh", Path.Combine(conformanceDir, "run.sh"), dir, client, name) is null) continue;
            var output = Path.Combine(dir, "client.out");
            if (!File.Exists(output)) continue;
            var startLine = File.ReadLines(output).FirstOrDefault(l => l.StartsWith("START ", StringComparison.Ordinal));
            if (startLine is null) continue;
            Collect(ReadLog(Path.Combine(dir, "server.log")), f, long.Parse(startLine[6..], CultureInfo.InvariantCulture));
            lookups++;
        }
        return f with { Lookups = lookups };
    }

    private static Figures MeasureWarm(string work, string dnssrv, string resolver, bool realtime)
    {
        var f = new Figures(new(), new(), new(), 0);
        using var server = LoggingServer.Start(work, dnssrv, $"warm-{resolver}-{realtime}");
        var conf = ResolvConfParser.Parse(Conf);
        var options = new DnsProbeOptions { Servers = new[] { server.EndPoint }, MaxLookupTime = TimeSpan.FromSeconds(5), Realtime = realtime };
        var spec = ResolverSpec.Parse(resolver);
        DnsProbe.Run("warm.svc.example", conf, spec, options);
        var starts = new Dictionary<string, long>();
        var ownReactions = new List<double>();
        for (var i = 0; i < WarmRuns; i++)
        {
            var name = $"l{i}.svc.example";
            starts[name] = MonotonicNs();
            var lookup = DnsProbe.Run(name, conf, spec, options);
            f.Scheduling.Add(lookup.Scheduling.ToString()!);
            // The probe's own clock: the last answer of one candidate read -> the next candidate's first query sent.
            var queries = lookup.Queries.OrderBy(q => q.SentAt).ToList();
            for (var q = 1; q < queries.Count; q++)
            {
                if (queries[q].Name == queries[q - 1].Name) continue;
                var answered = queries.Take(q).Where(x => x.Name == queries[q - 1].Name && x.AnsweredAt is not null).Select(x => x.AnsweredAt!.Value).DefaultIfEmpty().Max();
                if (answered > TimeSpan.Zero) ownReactions.Add((queries[q].SentAt - answered).TotalMicroseconds);
            }
        }
        if (ownReactions.Count > 0)
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"    (probe {resolver} warm {(realtime ? "rt" : "normal")}, its own clock: answer read -> next query's system call median {Percentile(ownReactions, 0.5):0} us, p99 {Percentile(ownReactions, 0.99):0} us)"));
        server.Stop();
        var events = ReadLog(server.Log).Where(e => !e.Name.StartsWith("warm.", StringComparison.Ordinal) || e.Kind == 'R').ToList();
        foreach (var (name, start) in starts)
            Collect(events.Where(e => e.Kind == 'Q' ? Lookup(e.Name) == name : true).ToList(), f, start, only: name);
        var done = f with { Lookups = starts.Count };
        done.Scheduling.UnionWith(f.Scheduling);
        return done;
    }

    private static Figures MeasureCold(string work, string dnssrv, string resolver, string? native, WarmUp warmUp, bool realtime)
    {
        var f = new Figures(new(), new(), new(), 0);
        var lookups = 0;
        for (var i = 0; i < ColdRuns; i++)
        {
            using var server = LoggingServer.Start(work, dnssrv, $"cold-{resolver}-{(native is null ? "jit" : "aot")}-{warmUp}-{realtime}-{i}");
            var name = $"l{i}.svc.example";
            long? start = null;
            long? warmEnd = null;
            if (native is null)
            {
                var self = Environment.ProcessPath!;
                var args = new List<string>();
                if (Path.GetFileNameWithoutExtension(self) == "dotnet") args.Add(typeof(TimingBench).Assembly.Location);
                args.AddRange(new[] { "probe-once", server.EndPoint.Port.ToString(CultureInfo.InvariantCulture), resolver, name, warmUp.ToString(), realtime ? "realtime" : "normal" });
                var output = RunProcess(self, args.ToArray());
                var lines = output?.Split('\n').Select(l => l.Trim()).ToList() ?? new List<string>();
                var line = lines.FirstOrDefault(l => l.StartsWith("START ", StringComparison.Ordinal));
                if (line is null) continue;
                start = long.Parse(line[6..], CultureInfo.InvariantCulture);
                if (lines.FirstOrDefault(l => l.StartsWith("SCHED ", StringComparison.Ordinal)) is { } sched) f.Scheduling.Add(sched[6..]);
                if (lines.FirstOrDefault(l => l.StartsWith("WARMUP ", StringComparison.Ordinal)) is { } warm)
                {
                    var parts = warm.Split(' ');
                    var (from, to) = (long.Parse(parts[1], CultureInfo.InvariantCulture), long.Parse(parts[2], CultureInfo.InvariantCulture));
                    f.WarmUpMs.Add((to - from) / 1e6);
                    warmEnd = Math.Max(to, start.Value);
                }
                else warmEnd = start;
            }
            else
            {
                var conf = Path.Combine(work, "cold.conf");
                File.WriteAllText(conf, Conf);
                var nativeArgs = new List<string> { name, "--resolv-conf", conf, "--server", server.EndPoint.ToString(), "--resolver", resolver, "-q", "--timeout", "5", "--format", "jsonl" };
                if (!realtime) nativeArgs.Add("--no-realtime");
                var output = RunProcess(native, nativeArgs.ToArray());
                if (output is null) continue;
                if (System.Text.Json.JsonDocument.Parse(output).RootElement.TryGetProperty("scheduling", out var sched)) f.Scheduling.Add(sched.GetString()!);
            }
            server.Stop();
            var events = ReadLog(server.Log);
            Collect(events, f, start);
            if (warmEnd is { } after && events.Where(e => e.Kind == 'Q').OrderBy(e => e.Ns).FirstOrDefault() is { } firstQuery && f.WarmUpMs.Count > 0)
                f.AfterWarmUp.Add((firstQuery.Ns - after) / 1000.0);
            lookups++;
        }
        var done = f with { Lookups = lookups };
        done.Scheduling.UnionWith(f.Scheduling);
        done.WarmUpMs.AddRange(f.WarmUpMs);
        done.AfterWarmUp.AddRange(f.AfterWarmUp);
        return done;
    }

    private sealed record LogEvent(char Kind, long Ns, int Port, string Name, string Type);

    /// <summary>The lookup a query belongs to: its name's first two labels (lN.svc), the same in every search candidate.</summary>
    private static string Lookup(string name)
    {
        var parts = name.Split('.');
        return parts.Length >= 3 ? $"{parts[0]}.{parts[1]}.{parts[2]}" : name;
    }

    /// <summary>Pair gaps, reactions and the first query's time of one lookup's events (queries and replies, in time order).</summary>
    private static void Collect(List<LogEvent> events, Figures f, long? startNs, string? only = null)
    {
        LogEvent? previousQuery = null;
        LogEvent? lastReply = null;
        var first = true;
        foreach (var e in events.OrderBy(e => e.Ns))
        {
            if (e.Kind == 'R')
            {
                if (previousQuery is not null) lastReply = e;
                continue;
            }
            if (only is not null && Lookup(e.Name) != only) continue;
            if (first && startNs is { } s) f.FirstQueries.Add((e.Ns - s) / 1000.0);
            first = false;
            if (previousQuery is not null)
            {
                if (previousQuery.Name == e.Name && previousQuery.Port == e.Port && previousQuery.Type != e.Type)
                    f.PairGaps.Add((e.Ns - previousQuery.Ns) / 1000.0);
                else if (previousQuery.Name != e.Name && lastReply is not null && lastReply.Ns > previousQuery.Ns)
                    f.Reactions.Add((e.Ns - lastReply.Ns) / 1000.0);
            }
            previousQuery = e;
        }
    }

    private static List<LogEvent> ReadLog(string path)
    {
        var events = new List<LogEvent>();
        if (!File.Exists(path)) return events;
        foreach (var line in File.ReadLines(path))
        {
            var f = line.Split(' ');
            // Q NS TRANSPORT SERVER PORT ID NAME TYPE ...; R NS TRANSPORT SERVER PORT ID
            if (f.Length >= 8 && f[0] == "Q") events.Add(new LogEvent('Q', long.Parse(f[1], CultureInfo.InvariantCulture), int.Parse(f[4], CultureInfo.InvariantCulture), f[6], f[7]));
            else if (f.Length >= 6 && f[0] == "R") events.Add(new LogEvent('R', long.Parse(f[1], CultureInfo.InvariantCulture), int.Parse(f[4], CultureInfo.InvariantCulture), string.Empty, string.Empty));
        }
        return events;
    }

    /// <summary>
    /// Prints a row; with <paramref name="realInPhase"/> (the probe's rows) checks it against issue 12's targets. A row
    /// that ran at real-time priority gets a MISS line for each target it misses. One at normal scheduling (-NoRealtime,
    /// or no CAP_SYS_NICE) cannot be held to them: a normal thread waits for its time slice like the real clients do, so
    /// it gets a "normal" line beside the real clients' figure in the same phase. The first query of a row with a
    /// warm-up is held to the target from the warm-up's end: the warm-up runs before the replay and its clock.
    /// </summary>
    private static int Print(string label, Figures f, IReadOnlyList<Figures>? realInPhase = null)
    {
        var c = CultureInfo.InvariantCulture;
        string Stat(List<double> v, double p) => v.Count == 0 ? "     -" : string.Create(c, $"{Percentile(v, p),6:0}");
        Console.WriteLine(string.Create(c,
            $"  {label,-34} {Stat(f.PairGaps, 0.5),21} {Stat(f.PairGaps, 0.99)} {f.PairGaps.Count,3} | {Stat(f.Reactions, 0.5),19} {Stat(f.Reactions, 0.99)} {f.Reactions.Count,3} | {Stat(f.FirstQueries, 0.5),22} {Stat(f.FirstQueries, 0.99)}   ({f.Lookups} lookups{(f.Scheduling.Count > 0 ? "; scheduling " + string.Join("/", f.Scheduling.Order()) : "")})"));
        if (f.WarmUpMs.Count > 0)
            Console.WriteLine(string.Create(c,
                $"    {"warm-up",-32} cost ms: median {Percentile(f.WarmUpMs, 0.5):0.0} p99 {Percentile(f.WarmUpMs, 0.99):0.0} | first query after the warm-up us: median {Stat(f.AfterWarmUp, 0.5).Trim()} p99 {Stat(f.AfterWarmUp, 0.99).Trim()}"));
        if (realInPhase is null) return 0;
        var firstQueries = f.WarmUpMs.Count > 0 ? f.AfterWarmUp : f.FirstQueries;
        var over = new List<(string What, Func<Figures, List<double>> Of, double P, double Limit)>
        {
            ("pair gap median", x => x.PairGaps, 0.5, 50),
            ("pair gap p99", x => x.PairGaps, 0.99, 1000),
            ("reaction p99", x => x.Reactions, 0.99, 1000),
            ("first query p99", x => x == f ? firstQueries : x.FirstQueries, 0.99, 1000),
        }.Where(t => t.Of(f).Count > 0 && Percentile(t.Of(f), t.P) > t.Limit).ToList();
        if (f.Lookups == 0) Console.WriteLine($"    MISS: {label}: no lookup measured");
        var realtime = f.Scheduling.Count > 0 && f.Scheduling.All(x => x == nameof(ProbeScheduling.Realtime));
        foreach (var (what, of, p, limit) in over)
        {
            var value = Percentile(of(f), p);
            if (realtime)
            {
                Console.WriteLine(string.Create(c, $"    MISS: {label}: {what} {value:0} us, over {limit:0} us"));
                continue;
            }
            var real = realInPhase.Where(r => of(r).Count > 0).Select(r => Percentile(of(r), p)).ToList();
            Console.WriteLine(string.Create(c,
                $"    normal: {label}: {what} {value:0} us, over {limit:0} us at normal scheduling; the real clients' in this phase: {(real.Count == 0 ? "not measured" : string.Join(", ", real.Select(r => r.ToString("0", c))))} us"));
        }
        return 0;
    }

    private static double Percentile(List<double> values, double p)
    {
        var s = values.OrderBy(x => x).ToList();
        return s[Math.Min(s.Count - 1, Math.Max(0, (int)Math.Ceiling(p * s.Count) - 1))];
    }

    /// <summary>CLOCK_MONOTONIC in ns (Stopwatch reads it on Linux), the clock dnssrv and gai.c use.</summary>
    private static long MonotonicNs() => (long)(Stopwatch.GetTimestamp() * (1e9 / Stopwatch.Frequency));

    private static string LoadAverage()
    {
        try { return string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3)); }
        catch (IOException) { return "unknown"; }
    }

    private static string? RealSkipReason()
    {
        if (!OperatingSystem.IsLinux()) return "needs Linux network namespaces";
        if (Environment.UserName != "root") return "not root: cannot create network namespaces (unshare -n -m)";
        return RunProcess("unshare", "-n", "-m", "true") is null ? "unshare -n -m is not permitted here" : null;
    }

    private static string? Compile(string compiler, params string[] args)
    {
        try
        {
            return RunProcess(compiler, args) is null ? $"{compiler} failed" : null;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return $"{compiler} is not installed";
        }
    }

    /// <summary>Runs a program to its end (at most 30 s); its standard output, or null when it failed.</summary>
    private static string? RunProcess(string file, params string[] args) => RunProcess(file, redirect: true, args);

    /// <summary>
    /// With <paramref name="redirect"/> false the program writes to this process's own output: for dnssrv --fork,
    /// whose background server would hold redirected pipes open after the command returned.
    /// </summary>
    private static string? RunProcess(string file, bool redirect, params string[] args)
    {
        var psi = new ProcessStartInfo(file) { RedirectStandardOutput = redirect, RedirectStandardError = redirect, UseShellExecute = false };
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var stdout = redirect ? p.StandardOutput.ReadToEndAsync() : Task.FromResult(string.Empty);
        var stderr = redirect ? p.StandardError.ReadToEndAsync() : Task.FromResult(string.Empty);
        if (!p.WaitForExit(30_000))
        {
            p.Kill(entireProcessTree: true);
            p.WaitForExit(5_000);
            return null;
        }
        return p.ExitCode == 0 ? stdout.Result : null;
    }

    /// <summary>dnssrv on 127.0.0.1 at a free port outside the ephemeral range, in this (root) namespace; --fork returns once it listens.</summary>
    private sealed class LoggingServer : IDisposable
    {
        private int _pid;
        public required IPEndPoint EndPoint { get; init; }
        public required string Log { get; init; }

        public static LoggingServer Start(string work, string dnssrv, string id)
        {
            var dir = Path.Combine(work, id);
            Directory.CreateDirectory(dir);
            var rules = Path.Combine(dir, "rules");
            File.WriteAllText(rules, Rules);
            for (var attempt = 0; attempt < 20; attempt++)
            {
                var port = Random.Shared.Next(20000, 30000);
                var ready = Path.Combine(dir, "server.pid");
                var log = Path.Combine(dir, "server.log");
                if (RunProcess(dnssrv, redirect: false, "--fork", rules, log, ready, "120", $"127.0.0.1:{port}") is null) continue;
                return new LoggingServer { EndPoint = new IPEndPoint(IPAddress.Loopback, port), Log = log, _pid = int.Parse(File.ReadAllText(ready).Trim(), CultureInfo.InvariantCulture) };
            }
            throw new InvalidOperationException("the logging server did not start");
        }

        public void Stop()
        {
            if (_pid == 0) return;
            try
            {
                using var p = Process.GetProcessById(_pid);
                p.Kill();
                p.WaitForExit(5_000);
            }
            catch (ArgumentException) { }
            catch (InvalidOperationException) { }
            _pid = 0;
        }

        public void Dispose() => Stop();
    }

    /// <summary>
    /// One spinning process per CPU (a shell loop, under timeout) until disposed or the time limit passes: the load of
    /// other programs on a busy node. Not threads of this process: the runtime stops every thread of its own process
    /// for a garbage collection (and a tier-up), and a spinning thread that is waiting for a CPU holds that stop, and
    /// the lookup, until it gets one. Measured on 2 CPUs, a gen0 collection on a SCHED_FIFO thread: with two spinning
    /// threads in the process, p99 528 us and max 2.05 ms; with two spinning processes beside it, p99 174 us and max
    /// 0.35 ms. The probe in pwsh or dnstools-probe has no such threads; other programs' load is what it meets.
    /// </summary>
    private sealed class BusyLoad : IDisposable
    {
        private readonly List<Process> _spinners = new();

        public BusyLoad(int processes, TimeSpan limit)
        {
            for (var i = 0; i < processes; i++)
            {
                var psi = new ProcessStartInfo("timeout") { UseShellExecute = false };
                foreach (var a in new[] { "-k", "5", ((int)limit.TotalSeconds).ToString(CultureInfo.InvariantCulture), "sh", "-c", "while :; do :; done" }) psi.ArgumentList.Add(a);
                _spinners.Add(Process.Start(psi)!);
            }
        }

        public void Dispose()
        {
            foreach (var p in _spinners)
            {
                try
                {
                    p.Kill(entireProcessTree: true);
                    p.WaitForExit(5_000);
                }
                catch (InvalidOperationException) { } // already ended (its time limit)
                p.Dispose();
            }
        }
    }
}
