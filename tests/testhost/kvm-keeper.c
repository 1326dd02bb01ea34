/*
 * ks-kvm-keeper: holds one idle KVM VM (in-kernel irqchip, one vCPU that never runs) for the
 * test host L1's whole life.
 *
 * Why: a new vCPU's local APIC starts software-disabled, and KVM counts such APICs in the
 * static key apic_sw_disabled. With no other VM alive, every VM that boots flips that key
 * 0 -> 1 and, a second after its guest enables the APIC, 1 -> 0; every flip rewrites kernel text
 * (int3 breakpoints plus IPIs to every CPU). L1 runs under QEMU TCG, and there that patching has
 * hung L1 for good: a soft lockup with a CPU spinning in the int3 handler while KVM created or
 * destroyed a vCPU. While this VM holds the count at one or more, the test's VMs only move the
 * count, and no kernel text is rewritten for them.
 *
 * It prints one line to say it holds the VM, then sleeps until it is killed with L1.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

static int fail(const char *what)
{
	fprintf(stderr, "ks-kvm-keeper: %s: %s (the test host runs on without it)\n", what, strerror(errno));
	return 1;
}

int main(void)
{
	int kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (kvm < 0)
		return fail("open /dev/kvm");
	int vm = ioctl(kvm, KVM_CREATE_VM, 0);
	if (vm < 0)
		return fail("KVM_CREATE_VM");
	/* The local APIC (and with it the counted key) exists only with the in-kernel irqchip. */
	if (ioctl(vm, KVM_CREATE_IRQCHIP, 0) < 0)
		return fail("KVM_CREATE_IRQCHIP");
	if (ioctl(vm, KVM_CREATE_VCPU, 0) < 0)
		return fail("KVM_CREATE_VCPU");
	printf("ks-kvm-keeper: holding an idle VM with one software-disabled local APIC\n");
	fflush(stdout);
	for (;;)
		pause();
}
