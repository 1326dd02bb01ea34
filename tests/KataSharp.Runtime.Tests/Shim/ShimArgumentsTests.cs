using System.Security.Cryptography;
using System.Text;
using KataSharp.Shim.Verbs;
using Xunit;

namespace KataSharp.Runtime.Tests.Shim;

public class ShimArgumentsTests
{
    [Fact]
    public void Parses_what_containerd_1_6_passes_to_start()
    {
        var args = ShimArguments.Parse(["-namespace", "k8s.io", "-address", "/run/containerd/containerd.sock", "-publish-binary", "/usr/bin/containerd", "-id", "abc", "-debug", "start"]);
        Assert.Equal(new ShimArguments("k8s.io", "abc", "/run/containerd/containerd.sock", "/usr/bin/containerd", "", "", true, false, "start"), args);
    }

    [Fact]
    public void Parses_delete_with_bundle_equals_form_and_double_dashes()
    {
        var args = ShimArguments.Parse(["--namespace=default", "-address", "/a", "-id=x", "--bundle", "/run/b/x", "delete"]);
        Assert.Equal(("default", "x", "/run/b/x", "delete"), (args.Namespace, args.Id, args.Bundle, args.Verb));
    }

    [Fact]
    public void Tolerates_unknown_flags_from_newer_containerd()
    {
        var args = ShimArguments.Parse(["-namespace", "n", "-id", "i", "-some-new-switch", "-debug-socket", "/x", "start"]);
        Assert.Equal("start", args.Verb);
    }

    [Fact]
    public void No_verb_means_serve()
    {
        Assert.Equal("", ShimArguments.Parse(["-namespace", "n", "-id", "i"]).Verb);
    }

    [Fact]
    public void Missing_values_and_required_flags_are_named()
    {
        Assert.Contains("-id needs a value", Assert.Throws<ArgumentException>(() => ShimArguments.Parse(["-id"])).Message);
        Assert.Contains("namespace", Assert.Throws<ArgumentException>(() => ShimArguments.Parse(["-id", "x", "start"]).Require()).Message);
    }

    [Theory]
    [InlineData("/run/containerd/containerd.sock", "default", "ksbtest", "/run/containerd/containerd.sock/default/ksbtest")]
    [InlineData("/run/containerd/containerd.sock/", "k8s.io", "sb1", "/run/containerd/containerd.sock/k8s.io/sb1")]
    public void Socket_path_is_the_sha256_of_the_joined_address(string address, string ns, string key, string joined)
    {
        string expected = "/run/containerd/s/" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(joined)));
        Assert.Equal(expected, ShimSocketAddress.PathFor(address, ns, key));
        Assert.Equal("unix://" + expected, ShimSocketAddress.Uri(expected));
    }

    [Fact]
    public void A_known_socket_path()
    {
        // sha256("/run/containerd/containerd.sock/default/ksbtest"), computed with sha256sum.
        Assert.Equal("/run/containerd/s/fc2d33f43a5836578d68125acacfb446e3e3a7e7585539015d27c484367a8a85",
            ShimSocketAddress.PathFor("/run/containerd/containerd.sock", "default", "ksbtest"));
    }
}
