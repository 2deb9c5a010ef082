namespace DnsTools.Bench;

internal static class Program
{
    private static int Main(string[] args)
    {
        var which = args.Length > 0 ? args[0] : "all";
        var status = 0;
        if (which is "probe" or "all") status |= ProbeBench.Run(iterations: 2000, throughputTime: TimeSpan.FromSeconds(3));
        // timing CONFORMANCE-DIR [PROBE]: pair gap, reaction and first query of the probe beside the real libcs.
        if (which == "timing") status |= TimingBench.Run(args[1], args.Length > 2 ? args[2] : null);
        // timing-cold CONFORMANCE-DIR: only the cold (fresh JIT process) rows, e.g. to compare a ReadyToRun build.
        if (which == "timing-cold") status |= TimingBench.Run(args[1], null, coldOnly: true, coldLabel: args.Length > 2 ? args[2] : "JIT");
        // probe-once PORT RESOLVER NAME WARM-UP(Sync|AtImport|None) realtime|normal: one lookup in a fresh process (the cold measurement's child).
        if (which == "probe-once") return TimingBench.ProbeOnce(args[1], args[2], args[3], Enum.Parse<TimingBench.WarmUp>(args[4]), args[5] == "realtime");
        // startup PROBE PWSH MODULE-MANIFEST: the native probe's start to first query, against the pwsh path.
        if (which == "startup") status |= StartupBench.Run(args[1], args[2], args[3]);
        return status;
    }
}
