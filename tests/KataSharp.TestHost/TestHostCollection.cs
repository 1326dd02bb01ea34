namespace KataSharp.TestHost;

/// <summary>
/// The xunit collection that shares one test host. A test project declares, once:
/// <code>
/// [CollectionDefinition(TestHostCollection.Name)]
/// public sealed class TestHostCollectionDefinition : ICollectionFixture&lt;TestHostFixture&gt; { }
/// </code>
/// and marks each class that needs the host with <c>[Collection(TestHostCollection.Name)]</c>.
/// </summary>
public static class TestHostCollection
{
    public const string Name = "testhost";
}
