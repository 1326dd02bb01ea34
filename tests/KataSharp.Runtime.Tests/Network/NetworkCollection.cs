using Xunit;

namespace KataSharp.Runtime.Tests.Network;

/// <summary>The network tests run one at a time: they count taps, qdiscs and the process's fds.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class NetworkCollection
{
    public const string Name = "network namespaces";
}
