using System.Diagnostics.CodeAnalysis;
using System.Reflection;
using Xunit;

namespace KataSharp.Tests.Shared.Conventions;

/// <summary>
/// xunit 2.9 disposes a test class through IDisposable or IAsyncLifetime only: a class that cleans up in
/// IAsyncDisposable.DisposeAsync alone never runs it and leaks what it made (temporary directories, pipes,
/// fake servers) once per fact, as PodVolumeSetTests did. Compiled into every test project (tests/Directory.Build.targets),
/// so each checks its own assembly.
/// </summary>
public sealed class TestClassDisposalTests
{
    // Reflection over the test assembly itself: test assemblies are never trimmed.
    [Fact]
    [UnconditionalSuppressMessage("Trimming", "IL2026", Justification = "test assemblies are never trimmed")]
    [UnconditionalSuppressMessage("Trimming", "IL2070", Justification = "test assemblies are never trimmed")]
    public void EveryTestClassThatCleansUpAsynchronously_IsDisposedByXunit()
    {
        List<string> neverDisposed = typeof(TestClassDisposalTests).Assembly.GetTypes()
            .Where(t => t.IsClass && !t.IsAbstract && HasTests(t))
            .Where(t => typeof(IAsyncDisposable).IsAssignableFrom(t) && !typeof(IAsyncLifetime).IsAssignableFrom(t) && !typeof(IDisposable).IsAssignableFrom(t))
            .Select(t => t.FullName ?? t.Name)
            .Order(StringComparer.Ordinal)
            .ToList();
        Assert.True(neverDisposed.Count == 0,
            $"xunit never calls IAsyncDisposable.DisposeAsync on these test classes; implement IAsyncLifetime instead: {string.Join(", ", neverDisposed)}");
    }

    [UnconditionalSuppressMessage("Trimming", "IL2070", Justification = "test assemblies are never trimmed")]
    private static bool HasTests(Type t) =>
        t.GetMethods(BindingFlags.Public | BindingFlags.Instance | BindingFlags.Static)
            .Any(m => m.GetCustomAttributes<FactAttribute>(inherit: true).Any());
}
