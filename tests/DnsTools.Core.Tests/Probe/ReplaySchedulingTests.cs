using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using DnsTools.Core.Diagnosis;
using DnsTools.Core.Dns;
using DnsTools.Core.Probe;
using DnsTools.Core.ResolvConf;
using DnsTools.Core.Resolvers;

namespace DnsTools.Core.Tests.Probe;

/// <summary>
/// The replay's thread runs at real-time priority (SCHED_FIFO) while it replays, when the process may, and is back to
/// its normal scheduling afterwards. The scheduler's own record of the thread (/proc/self/task/TID/stat, field 41:
/// the policy) is read by the responder while the query is being answered, and by the test after the replay.
/// Whether this process may use real-time scheduling is asked of the real chrt(1) first, so the test states what
/// must happen here (as root: realtime; in a container without CAP_SYS_NICE: normal, with the reason).
/// </summary>
[Collection(TimingCollection.Name)]
public class ReplaySchedulingTests
{
    private const int SchedOther = 0, SchedFifo = 1;
    private static readonly DnsTools.Core.ResolvConf.ResolvConf Conf =
        ResolvConfParser.Parse("nameserver 127.0.0.1\nsearch a.test\noptions ndots:1 timeout:2 attempts:1\n");

    [Theory]
    [InlineData("musl-1.2.3")]
    [InlineData("glibc-2.36")]
    public void A_replay_runs_realtime_when_permitted_and_the_thread_is_normal_afterwards(string resolver)
    {
        var permitted = RealtimePermitted();
        var thread = ThreadId();
        Assert.Equal(SchedOther, Policy(thread));
        using var responder = new Responder(thread);
        var lookup = Run(resolver, responder.EndPoint, realtime: true);

        Assert.Equal("ok", lookup.Outcome);
        Assert.NotEmpty(responder.PoliciesSeen);
        if (permitted)
        {
            Assert.Equal(ProbeScheduling.Realtime, lookup.Scheduling);
            Assert.Null(lookup.NormalSchedulingReason);
            // While the queries were answered the replay thread was SCHED_FIFO...
            Assert.All(responder.PoliciesSeen, p => Assert.Equal(SchedFifo, p));
        }
        else
        {
            Assert.Equal(ProbeScheduling.Normal, lookup.Scheduling);
            Assert.Contains("EPERM", lookup.NormalSchedulingReason);
            Assert.All(responder.PoliciesSeen, p => Assert.Equal(SchedOther, p));
        }
        // ...and after it, as it was before.
        Assert.Equal(SchedOther, Policy(thread));
        Assert.Equal(SchedOther, ReplayScheduling.CurrentPolicy());
    }

    [Fact]
    public void Go_lanes_are_back_to_normal_too_no_thread_stays_realtime()
    {
        using var responder = new Responder(ThreadId());
        var lookup = Run("go-1.22", responder.EndPoint, realtime: true);
        Assert.Equal("ok", lookup.Outcome);
        Assert.Equal(RealtimePermitted() ? ProbeScheduling.Realtime : ProbeScheduling.Normal, lookup.Scheduling);
        Assert.Empty(RealtimeThreads());
    }

    [Fact]
    public void Turned_off_the_replay_stays_normal_and_says_why()
    {
        var thread = ThreadId();
        using var responder = new Responder(thread);
        var lookup = Run("musl-1.2.3", responder.EndPoint, realtime: false);
        Assert.Equal("ok", lookup.Outcome);
        Assert.Equal(ProbeScheduling.Normal, lookup.Scheduling);
        Assert.Contains("turned off", lookup.NormalSchedulingReason);
        Assert.All(responder.PoliciesSeen, p => Assert.Equal(SchedOther, p));
    }

    /// <summary>
    /// CAP_SYS_NICE dropped from this thread's effective set (capset(2) is per thread): sched_setscheduler fails with
    /// EPERM as in a default container, and the replay runs as before, normal, and still gets its answers.
    /// </summary>
    [Fact]
    public void Without_cap_sys_nice_the_replay_is_normal_and_still_works()
    {
        ObservedLookup? lookup = null;
        List<int>? seen = null;
        Exception? failure = null;
        var worker = new Thread(() =>
        {
            try
            {
                DropSysNiceFromThisThread();
                using var responder = new Responder(ThreadId());
                lookup = Run("glibc-2.36", responder.EndPoint, realtime: true);
                seen = responder.PoliciesSeen.ToList();
            }
            catch (Exception e) { failure = e; }
        });
        worker.Start();
        Assert.True(worker.Join(TimeSpan.FromSeconds(30)));
        if (failure is not null) throw new InvalidOperationException("the replay thread failed", failure);
        Assert.Equal("ok", lookup!.Outcome);
        Assert.Equal(2, lookup.Queries.Count);
        Assert.Equal(ProbeScheduling.Normal, lookup.Scheduling);
        Assert.Contains("EPERM", lookup.NormalSchedulingReason);
        Assert.All(seen!, p => Assert.Equal(SchedOther, p));
    }

    /// <summary>
    /// The last resort against a hog: a server that sprays datagrams the resolver does not take (wrong ids) wakes the
    /// replay hundreds of times; past 256 such wake-ups a real-time replay drops to normal for the rest of the lookup
    /// and says so. The lookup itself still ends with the real answers.
    /// </summary>
    [Fact]
    public void A_flood_of_unwanted_datagrams_drops_a_realtime_replay_to_normal()
    {
        var thread = ThreadId();
        using var responder = new Responder(thread, floodBeforeFirstAnswer: 400);
        var lookup = Run("musl-1.2.3", responder.EndPoint, realtime: true);
        Assert.Equal("ok", lookup.Outcome);
        Assert.Equal(ProbeScheduling.Normal, lookup.Scheduling);
        Assert.Contains(RealtimePermitted() ? "wake-ups" : "EPERM", lookup.NormalSchedulingReason);
        Assert.Equal(SchedOther, Policy(thread));
    }

    private static ObservedLookup Run(string resolver, IPEndPoint server, bool realtime) =>
        DnsProbe.Run("host.a.test.", Conf, ResolverSpec.Parse(resolver),
            new DnsProbeOptions { Servers = new[] { server }, MaxLookupTime = TimeSpan.FromSeconds(10), Realtime = realtime });

    /// <summary>What the real chrt says: may this process run a thread at SCHED_FIFO 1?</summary>
    private static bool RealtimePermitted()
    {
        var psi = new ProcessStartInfo("chrt", "-f 1 true") { RedirectStandardError = true, UseShellExecute = false };
        using var p = Process.Start(psi)!;
        p.StandardError.ReadToEnd();
        p.WaitForExit();
        return p.ExitCode == 0;
    }

    /// <summary>The calling thread's kernel id: /proc/thread-self is a link to /proc/PID/task/TID.</summary>
    private static int ThreadId() =>
        int.Parse(Path.GetFileName(new DirectoryInfo("/proc/thread-self").LinkTarget!), CultureInfo.InvariantCulture);

    /// <summary>Field 41 of /proc/self/task/TID/stat (proc(5)): the thread's scheduling policy.</summary>
    private static int Policy(int thread) => PolicyFrom(File.ReadAllText($"/proc/self/task/{thread}/stat"));

    private static int PolicyFrom(string stat)
    {
        // Fields after the command name (in parentheses, may hold spaces) start with field 3 (state).
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        return int.Parse(fields[41 - 3], CultureInfo.InvariantCulture);
    }

    private static List<string> RealtimeThreads()
    {
        var found = new List<string>();
        foreach (var dir in Directory.GetDirectories("/proc/self/task"))
        {
            try { if (PolicyFrom(File.ReadAllText(Path.Combine(dir, "stat"))) != SchedOther) found.Add(dir); }
            catch (IOException) { } // the thread ended
        }
        return found;
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct CapHeader { public uint Version; public int Pid; }

    [StructLayout(LayoutKind.Sequential)]
    private struct CapData { public uint Effective, Permitted, Inheritable; }

    [DllImport("libc.so.6", EntryPoint = "capget", SetLastError = true)]
    private static extern int CapGet(ref CapHeader header, [Out] CapData[] data);

    [DllImport("libc.so.6", EntryPoint = "capset", SetLastError = true)]
    private static extern int CapSet(ref CapHeader header, CapData[] data);

    private static void DropSysNiceFromThisThread()
    {
        const uint version3 = 0x20080522; // _LINUX_CAPABILITY_VERSION_3 (linux/capability.h)
        const int capSysNice = 23;
        var header = new CapHeader { Version = version3 };
        var data = new CapData[2];
        Assert.Equal(0, CapGet(ref header, data));
        data[0].Effective &= ~(1u << capSysNice);
        data[0].Permitted &= ~(1u << capSysNice);
        header = new CapHeader { Version = version3 };
        Assert.Equal(0, CapSet(ref header, data));
    }

    /// <summary>
    /// A loopback responder that answers A and AAAA (and NXDOMAIN for the rest) and, on each query, reads the
    /// replay thread's scheduling policy; optionally floods the client with wrong-id replies first.
    /// </summary>
    private sealed class Responder : IDisposable
    {
        private readonly Socket _socket = new(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        private readonly Thread _thread;
        private readonly CancellationTokenSource _stop = new();
        private readonly int _watched;
        private int _flood;

        public List<int> PoliciesSeen { get; } = new();
        public IPEndPoint EndPoint => (IPEndPoint)_socket.LocalEndPoint!;

        public Responder(int watchedThread, int floodBeforeFirstAnswer = 0)
        {
            _watched = watchedThread;
            _flood = floodBeforeFirstAnswer;
            _socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
            _thread = new Thread(Serve) { IsBackground = true, Name = "scheduling-test-responder" };
            _thread.Start();
        }

        private void Serve()
        {
            var buffer = new byte[4096];
            while (!_stop.IsCancellationRequested)
            {
                if (!_socket.Poll(20_000, SelectMode.SelectRead)) continue;
                EndPoint from = new IPEndPoint(IPAddress.Any, 0);
                int n;
                try { n = _socket.ReceiveFrom(buffer, ref from); }
                catch (SocketException) { continue; }
                lock (PoliciesSeen) PoliciesSeen.Add(Policy(_watched));
                var query = DnsWire.Parse(buffer.AsSpan(0, n));
                var answers = query.QuestionType == DnsWire.TypeA ? new[] { IPAddress.Parse("192.0.2.1") }
                    : query.QuestionType == DnsWire.TypeAaaa ? new[] { IPAddress.Parse("2001:db8::1") } : Array.Empty<IPAddress>();
                var reply = DnsWire.BuildResponse(query, DnsRcode.NoError, answers);
                for (var i = 0; _flood > 0; i++, _flood--)
                {
                    var wrong = (byte[])reply.Clone();
                    wrong[0] ^= 0x5a; // another id: not the query's answer
                    _socket.SendTo(wrong, from);
                    if (i % 32 == 31) Thread.Sleep(1); // let the client drain its receive buffer
                }
                _socket.SendTo(reply, from);
            }
        }

        public void Dispose()
        {
            _stop.Cancel();
            _thread.Join(TimeSpan.FromSeconds(2));
            _socket.Dispose();
        }
    }
}
