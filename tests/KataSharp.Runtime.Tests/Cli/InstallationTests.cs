using KataSharp.Cli.Commands;
using KataSharp.Confinement;
using Xunit;

namespace KataSharp.Runtime.Tests.Cli;

/// <summary>What `katasharp install` puts next to the shim is what the shim starts for every sandbox.</summary>
public sealed class InstallationTests
{
    [Fact]
    public void The_installed_sandbox_vmm_has_the_name_the_shim_looks_for_next_to_itself() =>
        Assert.Equal(ConfinedVmmProcess.ProgramName, Installation.SandboxVmmBinary);
}
