using DnsTools.Fuzz;
using SharpFuzz;

// DnsTools.Fuzz HARNESS                 run under afl-fuzz (input on stdin, SharpFuzz's out-of-process loop)
// DnsTools.Fuzz HARNESS --replay FILE.. run inputs once each; exit 1 if one ends in an exception that is not the surface's own error
// DnsTools.Fuzz --list                  the harness names
// DnsTools.Fuzz --write-seeds DIR       write the generated seeds to DIR/HARNESS/
if (args.Length == 0 || args[0] is "--list" or "-h" or "--help")
{
    foreach (var h in Harnesses.All.Values) Console.WriteLine($"{h.Name,-16} {h.Description}");
    return args.Length == 0 ? 2 : 0;
}
if (args[0] == "--write-seeds" && args.Length == 2)
{
    Seeds.Write(args[1]);
    return 0;
}
if (!Harnesses.All.TryGetValue(args[0], out var harness))
{
    Console.Error.WriteLine($"unknown harness '{args[0]}'; --list shows them");
    return 2;
}
if (args.Length > 1 && args[1] == "--replay")
{
    var failed = 0;
    foreach (var file in args.Skip(2))
    {
        var problem = harness.Check(File.ReadAllBytes(file));
        if (problem is null) continue;
        failed++;
        Console.Error.WriteLine($"{file}: {problem}");
    }
    return failed == 0 ? 0 : 1;
}
// afl++ sees an unhandled exception as a crash; the surface's own error is the expected answer to bad input.
Fuzzer.OutOfProcess.Run(stream =>
{
    using var copy = new MemoryStream();
    stream.CopyTo(copy);
    harness.RunAllowingSurfaceErrors(copy.ToArray());
});
return 0;
