using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace DnsTools.Bench;

/// <summary>
/// Startup: from starting the process to its first query arriving at a loopback socket, for the
/// native dnstools-probe and for the pwsh path (pwsh, Import-Module, Test-PodDnsLatency) measured in
/// the same run. The socket never answers; each process is stopped by its PID once its query
/// arrived. Bounded: a fixed number of runs, 20 s at most each. Fails when the probe's median is 50 ms or more.
/// </summary>
internal static class StartupBench
{
    public static int Run(string probe, string pwsh, string moduleManifest, int probeRuns = 15, int pwshRuns = 3)
    {
        using var sink = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        sink.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        var port = ((IPEndPoint)sink.LocalEndPoint!).Port;
        var conf = Path.Combine(Path.GetTempPath(), $"dnstools-startup-{Environment.ProcessId}.conf");
        File.WriteAllText(conf, "nameserver 127.0.0.1\noptions timeout:1 attempts:1\n");
        try
        {
            var native = Measure(sink, probeRuns, () => Start(probe,
                "bench.example.", "--resolv-conf", conf, "--server", $"127.0.0.1:{port}", "--resolver", "musl-1.2.3", "-q", "--timeout", "2"));
            var script = $"Import-Module '{moduleManifest}'; Test-PodDnsLatency -Name bench.example. -ResolvConf '{conf}' -Server 127.0.0.1:{port} -Resolver musl-1.2.3 -Timeout 2";
            var powershell = Measure(sink, pwshRuns, () => Start(pwsh, "-NoProfile", "-NonInteractive", "-Command", script));
            double Median(List<double> v) { v.Sort(); return v[v.Count / 2]; }
            var n = Median(native);
            var p = Median(powershell);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"startup to first query: dnstools-probe median {n:0.0} ms (min {native.Min():0.0}, max {native.Max():0.0}, {native.Count} runs); pwsh + Test-PodDnsLatency median {p:0.0} ms ({powershell.Count} runs); ratio {p / n:0.0}x"));
            if (n >= 50)
            {
                Console.WriteLine("FAIL: dnstools-probe took 50 ms or more to send its first query");
                return 1;
            }
            return 0;
        }
        finally
        {
            File.Delete(conf);
        }
    }

    private static Process Start(string file, params string[] args)
    {
        var psi = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in args) psi.ArgumentList.Add(a);
        psi.Environment["POWERSHELL_TELEMETRY_OPTOUT"] = "1";
        return Process.Start(psi) ?? throw new InvalidOperationException($"cannot start {file}");
    }

    private static List<double> Measure(Socket sink, int runs, Func<Process> start)
    {
        var times = new List<double>();
        var buffer = new byte[4096];
        for (var i = 0; i < runs; i++)
        {
            while (sink.Available > 0) sink.Receive(buffer);
            var clock = Stopwatch.StartNew();
            using var p = start();
            try
            {
                sink.ReceiveTimeout = 20_000;
                sink.Receive(buffer);
                times.Add(clock.Elapsed.TotalMilliseconds);
            }
            catch (SocketException)
            {
                Console.WriteLine($"no query within 20 s from {p.StartInfo.FileName}: {p.StandardError.ReadToEnd()}");
            }
            finally
            {
                if (!p.HasExited) p.Kill();
                p.WaitForExit(10_000);
            }
        }
        if (times.Count == 0) throw new InvalidOperationException("no run sent a query");
        return times;
    }
}
