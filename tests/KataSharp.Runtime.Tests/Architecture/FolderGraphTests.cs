using KataSharp.Tests.Shared.Architecture;
using Xunit;

namespace KataSharp.Runtime.Tests.Architecture;

/// <summary>The source reader behind FolderCycleTests, on small made-up projects: it must see the ties it is there to catch, and only those.</summary>
public sealed class FolderGraphTests
{
    [Fact]
    public void A_child_folder_naming_its_parents_type_ties_it_to_a_parent_that_imports_the_child()
    {
        var graph = new FolderGraph("P", [
            ("Engine/ContainerEngine.cs", """
                using P.Engine.Cgroups;
                namespace P.Engine;
                public sealed class ContainerEngine { }
                """),
            ("Engine/AgentException.cs", "namespace P.Engine;\npublic sealed class AgentException : Exception { }\n"),
            ("Engine/Cgroups/Cgroup.cs", """
                namespace P.Engine.Cgroups;
                public sealed class Cgroup { void Fail() => throw new AgentException(); }
                """),
        ]);

        FolderTie tie = Assert.Single(graph.TwoWayTies());
        Assert.Equal("Engine <-> Engine/Cgroups", tie.Key);
        Assert.Equal(["using P.Engine.Cgroups"], tie.AUsesB["Engine/ContainerEngine.cs"]);
        Assert.Equal(["AgentException"], tie.BUsesA["Engine/Cgroups/Cgroup.cs"]);
    }

    [Fact]
    public void Qualified_names_count_from_the_namespace_they_are_written_in()
    {
        var graph = new FolderGraph("P", [
            ("Tasks/ProcessKey.cs", "namespace P.Tasks;\npublic readonly record struct ProcessKey(string Id);\n"),
            ("Sandbox/Pod.cs", "namespace P.Sandbox;\npublic sealed class Pod { Tasks.ProcessKey _key; }\n"),
            ("Io/Fifo.cs", "namespace P.Io;\npublic sealed class Fifo { global::P.Tasks.ProcessKey _key; }\n"),
        ]);

        Assert.Equal(["Tasks.ProcessKey"], graph.Uses("Sandbox", "Tasks")["Sandbox/Pod.cs"]);
        Assert.Equal(["P.Tasks.ProcessKey"], graph.Uses("Io", "Tasks")["Io/Fifo.cs"]);
    }

    [Fact]
    public void Comments_strings_and_members_are_not_uses()
    {
        var graph = new FolderGraph("P", [
            ("Engine/AgentException.cs", "namespace P.Engine;\npublic sealed class AgentException : Exception { }\n"),
            ("Engine/Cgroups/Cgroup.cs", """"
                namespace P.Engine.Cgroups;
                // An AgentException is what the engine would throw.
                public sealed class Cgroup
                {
                    /* AgentException */
                    string A => "AgentException";
                    string B => @"say ""AgentException""";
                    string C(object x) => $"{x.GetType().Name:AgentException} AgentException {{AgentException}}";
                    string D => $$"""{AgentException} {{Sandbox2.Id}}""";
                    object E(Holder h) => h.AgentException;
                    char F => '"';
                }
                public sealed class Holder { public object AgentException = 1; public Holder Sandbox2 = null!; public string Id = ""; }
                """"),
        ]);

        Assert.Empty(graph.Uses("Engine/Cgroups", "Engine"));
    }

    [Fact]
    public void Interpolation_holes_are_code()
    {
        var graph = new FolderGraph("P", [
            ("Engine/AgentException.cs", "namespace P.Engine;\npublic sealed class AgentException : Exception { }\n"),
            ("Engine/Cgroups/Cgroup.cs", """
                namespace P.Engine.Cgroups;
                public sealed class Cgroup { string A => $"failed: {new AgentException().Message}"; }
                """),
        ]);

        Assert.Equal(["AgentException"], graph.Uses("Engine/Cgroups", "Engine")["Engine/Cgroups/Cgroup.cs"]);
    }

    [Fact]
    public void A_type_in_the_files_own_folder_hides_the_parents_type_of_that_name()
    {
        var graph = new FolderGraph("P", [
            ("Engine/Options.cs", "namespace P.Engine;\npublic sealed class Options { }\n"),
            ("Engine/Cgroups/Options.cs", "namespace P.Engine.Cgroups;\npublic sealed class Options { }\n"),
            ("Engine/Cgroups/Cgroup.cs", "namespace P.Engine.Cgroups;\npublic sealed class Cgroup { Options _o = new(); }\n"),
        ]);

        Assert.Empty(graph.Uses("Engine/Cgroups", "Engine"));
    }

    [Fact]
    public void A_file_whose_namespace_is_not_its_folder_is_reported()
    {
        var graph = new FolderGraph("P", [("Engine/Stray.cs", "namespace P.Elsewhere;\npublic sealed class Stray { }\n")]);

        Assert.Single(graph.NamespaceMismatches);
    }
}
