using System.Management.Automation;

namespace DnsTools.PowerShell;

/// <summary>
/// At Import-Module: the probe's warm-up of the default replays (musl-1.2.3, glibc-2.36, go-1.22 through a pod's
/// search list) starts on a background thread, so an interactive user's first Test-PodDnsLatency finds the code
/// compiled and sends its first query within a millisecond of its start instead of after a warm-up of its own
/// (0.2-0.3 s). It asks only its own responder on loopback. A lookup started before it ends waits for it.
/// </summary>
public sealed class ModuleImport : IModuleAssemblyInitializer
{
    public void OnImport() => Core.Probe.ProbeWarmUp.StartInBackground();
}
