namespace DnsTools.Core.Tests;

/// <summary>
/// Tests that compare real elapsed times with plans, or hold hostile input to the 2 s bound, run alone, after the
/// parallel ones: on a 2-core machine, image decoding in a neighbouring test class would otherwise add its own delays.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class TimingCollection
{
    public const string Name = "Timing";
}
