using System.Runtime.InteropServices;

namespace DnsTools.Core.Probe;

/// <summary>How the replay's sending and receiving thread was scheduled (<see cref="DnsTools.Core.Diagnosis.ObservedLookup.Scheduling"/>).</summary>
[Newtonsoft.Json.JsonConverter(typeof(Newtonsoft.Json.Converters.StringEnumConverter))]
public enum ProbeScheduling
{
    /// <summary>As the process runs (SCHED_OTHER): other programs on a busy CPU can delay a query or a reaction by milliseconds.</summary>
    Normal,
    /// <summary>SCHED_FIFO at the lowest real-time priority for the replay: a woken thread runs before every normal one.</summary>
    Realtime,
}

/// <summary>
/// Runs the calling thread at the lowest real-time priority (SCHED_FIFO 1) for one replay and puts it back as it was
/// afterwards. A libc's getaddrinfo is a small C program that reacts within microseconds; a .NET probe on a loaded CPU
/// waits for its time slice after each wake-up (on 2 busy cores the pair gap p99 was 2.8-4.8 ms and the reaction p99
/// 1.4-5.0 ms), which a real-time thread does not: the scheduler runs it as soon as its answer arrives
/// (sched(7): "a SCHED_FIFO thread that has been preempted by another thread of higher priority ... [runs] before
/// any SCHED_OTHER thread"). The replay thread spends its time blocked in poll(2) or a futex wait; it never spins,
/// and <see cref="DemoteCurrentThread"/> drops it back to normal when a replay keeps waking without progress.
/// Needs CAP_SYS_NICE (or an RLIMIT_RTPRIO): without it the call fails with EPERM and the replay runs as before,
/// reporting <see cref="ProbeScheduling.Normal"/> and why. Linux only; the calls are sched_setscheduler(2) and
/// sched_getparam(2) on thread id 0 (the calling thread: Linux schedules threads, not processes).
/// </summary>
internal sealed class ReplayScheduling : IDisposable
{
    private const int SchedOther = 0, SchedFifo = 1, SchedRr = 2;
    /// <summary>A thread created by the replay thread (none today) starts as a normal one (sched(7), SCHED_RESET_ON_FORK).</summary>
    private const int SchedResetOnFork = 0x40000000;
    private const int RealtimePriority = 1;
    private const int Eperm = 1;

    [ThreadStatic] private static ReplayScheduling? _current;

    private readonly int _oldPolicy;
    private readonly int _oldPriority;
    private readonly int _thread;
    private bool _raised;

    public ProbeScheduling Scheduling { get; private set; }

    /// <summary>Why the replay ran at normal priority (null when realtime).</summary>
    public string? NormalBecause { get; private set; }

    private ReplayScheduling(ProbeScheduling scheduling, string? because, int oldPolicy = SchedOther, int oldPriority = 0)
    {
        Scheduling = scheduling;
        NormalBecause = because;
        _oldPolicy = oldPolicy;
        _oldPriority = oldPriority;
        _thread = Environment.CurrentManagedThreadId;
    }

    [DllImport("libc.so.6", EntryPoint = "sched_getscheduler", SetLastError = true)]
    private static extern int GetScheduler(int pid);

    [DllImport("libc.so.6", EntryPoint = "sched_getparam", SetLastError = true)]
    private static extern int GetParam(int pid, ref int priority);

    [DllImport("libc.so.6", EntryPoint = "sched_setscheduler", SetLastError = true)]
    private static extern int SetScheduler(int pid, int policy, ref int priority);

    /// <summary>The calling thread's policy without SCHED_RESET_ON_FORK (sched_getscheduler(0)), or -1.</summary>
    internal static int CurrentPolicy()
    {
        try { return OperatingSystem.IsLinux() ? GetScheduler(0) & ~SchedResetOnFork : -1; }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException) { return -1; }
    }

    /// <summary>
    /// For the warm-up of a JIT process: makes each scheduling call once without changing anything (the policy the
    /// thread has, set again), so their marshalling stubs are compiled before a lookup's start.
    /// </summary>
    public static void Prepare()
    {
        try
        {
            if (!OperatingSystem.IsLinux()) return;
            var policy = GetScheduler(0);
            var priority = 0;
            if (policy < 0 || GetParam(0, ref priority) != 0) return;
            SetScheduler(0, policy, ref priority);
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException) { }
    }

    /// <summary>
    /// Raises the calling thread to SCHED_FIFO 1 when <paramref name="wanted"/> and permitted; otherwise leaves it and
    /// says why. Dispose on the same thread to put it back.
    /// </summary>
    public static ReplayScheduling Enter(bool wanted)
    {
        var scope = Raise(wanted);
        scope._outer = _current;
        _current = scope;
        return scope;
    }

    private ReplayScheduling? _outer;

    private static ReplayScheduling Raise(bool wanted)
    {
        if (!wanted) return new ReplayScheduling(ProbeScheduling.Normal, "real-time scheduling was turned off (-NoRealtime / --no-realtime)");
        if (!OperatingSystem.IsLinux()) return new ReplayScheduling(ProbeScheduling.Normal, "real-time scheduling is used on Linux only");
        try
        {
            var policy = GetScheduler(0);
            var priority = 0;
            if (policy < 0 || GetParam(0, ref priority) != 0)
                return new ReplayScheduling(ProbeScheduling.Normal, $"sched_getscheduler failed (errno {Marshal.GetLastPInvokeError()})");
            var basePolicy = policy & ~SchedResetOnFork;
            // Already real-time (chrt -f / -r): nothing to raise, nothing to restore.
            if (basePolicy is SchedFifo or SchedRr) return new ReplayScheduling(ProbeScheduling.Realtime, null);
            // SCHED_BATCH, SCHED_IDLE, SCHED_DEADLINE: someone chose this thread's scheduling; the probe does not override it.
            if (basePolicy != SchedOther)
                return new ReplayScheduling(ProbeScheduling.Normal, $"the thread runs under scheduling policy {basePolicy} (not SCHED_OTHER), left as it is");
            var realtime = RealtimePriority;
            if (SetScheduler(0, SchedFifo | SchedResetOnFork, ref realtime) != 0)
            {
                var errno = Marshal.GetLastPInvokeError();
                return new ReplayScheduling(ProbeScheduling.Normal, errno == Eperm
                    ? "not permitted to use real-time scheduling (sched_setscheduler: EPERM; needs CAP_SYS_NICE, which a default container does not have)"
                    : $"sched_setscheduler(SCHED_FIFO) failed (errno {errno})");
            }
            return new ReplayScheduling(ProbeScheduling.Realtime, null, policy, priority) { _raised = true };
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            return new ReplayScheduling(ProbeScheduling.Normal, $"the C library's scheduling calls are not available ({e.GetType().Name})");
        }
    }

    /// <summary>Back to the thread's own scheduling for a while (the CPU-bound warm-up inside a replay); <see cref="Resume"/> raises it again.</summary>
    public void Pause()
    {
        _paused = _raised;
        Restore(null);
    }

    public void Resume()
    {
        if (!_paused) return;
        _paused = false;
        var realtime = RealtimePriority;
        if (SetScheduler(0, SchedFifo | SchedResetOnFork, ref realtime) == 0) _raised = true;
        else
        {
            Scheduling = ProbeScheduling.Normal;
            NormalBecause = $"sched_setscheduler(SCHED_FIFO) failed after the warm-up (errno {Marshal.GetLastPInvokeError()})";
        }
    }

    private bool _paused;

    /// <summary>
    /// The last resort against a replay that keeps waking without progress (a flood of datagrams the resolver does not
    /// take, a bug): the calling thread goes back to its normal scheduling for the rest of its replay, so it cannot
    /// hold a CPU from every normal program. Reported as <see cref="ProbeScheduling.Normal"/> with the reason.
    /// </summary>
    public static void DemoteCurrentThread(string because)
    {
        if (_current is { _raised: true } scope) scope.Restore($"dropped to normal scheduling during the replay: {because}");
    }

    private void Restore(string? because)
    {
        if (!_raised) return;
        _raised = false;
        var priority = _oldPriority;
        // Lowering one's own priority is always permitted.
        SetScheduler(0, _oldPolicy, ref priority);
        if (because is not null)
        {
            Scheduling = ProbeScheduling.Normal;
            NormalBecause = because;
        }
    }

    public void Dispose()
    {
        if (Environment.CurrentManagedThreadId != _thread)
            throw new InvalidOperationException("ReplayScheduling must be disposed on the thread that entered it");
        Restore(null);
        if (ReferenceEquals(_current, this)) _current = _outer;
    }
}
