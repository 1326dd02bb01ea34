using KataSharp.Vmm.Tests.Support;
using KataSharp.Vmm.Vhost.Interop;
using Xunit;

namespace KataSharp.Vmm.Tests.Vhost;

/// <summary>
/// The vhost structs, constants and ioctl numbers checked field by field and name by name against &lt;linux/vhost.h&gt;
/// (gcc compiles _Static_asserts written from the C# definitions, see <see cref="CHeaderAssertions"/>; a mismatch names
/// the struct and field or the constant).
/// </summary>
public sealed class VhostLayoutTests
{
    [Fact]
    public void Every_vhost_struct_matches_the_kernel_headers()
    {
        var c = new CHeaderAssertions("linux/vhost.h");
        c.Struct(typeof(vhost_vring_state));
        c.Struct(typeof(vhost_vring_file));
        c.Struct(typeof(vhost_vring_addr));
        c.Struct(typeof(vhost_memory_region));
        c.Struct(typeof(vhost_memory)); // the flexible regions[] adds nothing to sizeof
        c.Assert($"offsetof(struct vhost_memory, regions) == {System.Runtime.CompilerServices.Unsafe.SizeOf<vhost_memory>()}");
        c.Compile();
    }

    [Fact]
    public void Every_vhost_constant_and_ioctl_number_matches_the_kernel_headers()
    {
        var c = new CHeaderAssertions("linux/vhost.h");
        c.Constants(typeof(VhostConstants));
        c.Constants(typeof(VhostIoctls));
        c.Compile();
    }
}
