namespace DnsTools.Bench;

internal static class Program
{
    private static int Main(string[] args)
    {
        var which = args.Length > 0 ? args[0] : "all";
        var status = 0;
        if (which is "probe" or "all") status |= ProbeBench.Run(iterations: 2000, throughputTime: TimeSpan.FromSeconds(3));
        return status;
    }
}
