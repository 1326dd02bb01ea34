namespace KataSharp.Linux.Netlink;

/// <summary>A queueing discipline on an interface (RTM_GETQDISC): "ingress", "clsact", "noqueue"...</summary>
public sealed record QdiscInfo(int LinkIndex, string Kind, uint Handle, uint Parent)
{
    public bool IsIngress => Kind == "ingress" && Parent == TrafficControl.IngressParent;
}
