using System.Management.Automation;
using System.Net;
using DnsTools.Core.Lab;
using DnsTools.Core.Probe;

namespace DnsTools.PowerShell;

/// <summary>-Server values: host, host:port, [v6]:port, an IPEndPoint, an IPAddress or a lab server.</summary>
internal static class ServerArguments
{
    public static List<IPEndPoint>? Parse(PSCmdlet cmdlet, object[]? values)
    {
        if (values is null || values.Length == 0) return null;
        var list = new List<IPEndPoint>();
        foreach (var item in values)
        {
            var value = item is PSObject p ? p.BaseObject : item;
            try
            {
                list.Add(value switch
                {
                    DnsLabServer lab => lab.EndPoint,
                    IPEndPoint ep => ep,
                    IPAddress ip => new IPEndPoint(ip, 53),
                    string text => DnsProbe.ParseServer(text),
                    // Never ToString() an object into an address: only what names a server is one.
                    _ => throw new ArgumentException($"-Server takes host, host:port, [v6]:port, an IPAddress, an IPEndPoint or a lab server, not a {value?.GetType().FullName ?? "null"}."),
                });
            }
            catch (Exception e) when (e is FormatException or ArgumentException)
            {
                cmdlet.ThrowTerminatingError(new ErrorRecord(e, "InvalidServer", ErrorCategory.InvalidArgument, value));
            }
        }
        return list;
    }
}
