using KataSharp.TestHost;
using Xunit;

namespace KataSharp.Integration.Tests;

/// <summary>Every class marked [Collection(TestHostCollection.Name)] shares one test host (one L1 boot per run).
/// Declared once for the whole project: do not declare it again in an area folder.</summary>
[CollectionDefinition(TestHostCollection.Name)]
public sealed class TestHostCollectionDefinition : ICollectionFixture<TestHostFixture>
{
}
