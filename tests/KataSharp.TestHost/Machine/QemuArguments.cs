namespace KataSharp.TestHost.Machine;

/// <summary>
/// The L1's QEMU command line: a TCG PC with AMD SVM and nested paging (so kvm_amd loads in L1),
/// the host root read-only over 9p, the spool writable over 9p, a virtio-serial control port
/// connecting to our socket, and the serial console to a file.
/// </summary>
internal static class QemuArguments
{
    public const string Binary = "qemu-system-x86_64";

    /// <summary>
    /// One L1 CPU. With two (both host cores), QEMU's emulation of AMD SVM failed under a nested guest now and then:
    /// sandbox VMs triple-faulted (an instruction fetch of kernel text "not present" right after a VMRUN), stopped
    /// answering, or L1's own kernel took an interrupt with the guest's GS still loaded right after a #VMEXIT. Every
    /// trace had another L1 CPU acting on the one running the nested guest (IPIs, kicks, remote TLB flushes).
    /// A/B of 2026-12-05, the same L1 and 200,000-line output streams in a sandbox VM: with 2 CPUs, 2 of 6 streams
    /// failed (a triple fault, an L1 crash) and 2 of 4 under QEMU 10.0.2 (a triple fault, a stall); with 1 CPU,
    /// 8 of 8 passed, each as fast (47–116 s against 68–79 s). README, "Known limits".
    /// </summary>
    public const int Cpus = 1;

    /// <summary>
    /// L1 keeps time with the TSC. Left alone, L1's kernel finds the TCG vCPUs' TSCs "unsynchronized"
    /// (its warp check is timing-sensitive and TCG threads are descheduled at will; the TSCs all
    /// derive from one QEMU clock) and falls back to the HPET, whose every read is an emulated MMIO
    /// access under QEMU's global lock. L1's KVM reads the clock on every nested guest's exit and
    /// timer, so with 4 guests booting at once L1 stopped for up to 36 s at a time and none of them
    /// came up within 300 s; with the TSC all 4 did (README, "Known limits").
    /// (kvm_amd.vgif=0 was tried against L1's crash after VMRUN and did not prevent it: README, "Known limits".)
    /// </summary>
    public const string KernelDefaults = "tsc=reliable clocksource=tsc";

    /// <summary>
    /// The emulated CPU: everything TCG offers, with AMD SVM and nested paging so kvm_amd loads in L1. Tried without
    /// LA57 (<c>-la57</c>: 4-level paging in L1 and in its guests' nested page tables) on 2026-12-05: two runs (one full, 20 minutes of
    /// another) had no L1 crash (the two full runs before had 3) but each had a sandbox VM that stopped answering its agent's pings mid-run,
    /// never seen in the runs before; a stall fails its test where an L1 crash now reruns once, so LA57 stays
    /// (README, "Known limits").
    /// </summary>
    public const string CpuModel = "max,+svm,+npt";

    /// <summary>Room for an L2 guest, a tmpfs overlay and containerd.</summary>
    public const int MemoryMiB = 4096;

    public static IReadOnlyList<string> Build(string kernel, string initramfs, string agentScript, string spool,
        string consoleLog, string controlSocket, L1Tuning? tuning = null)
    {
        tuning ??= L1Tuning.Default;
        foreach (string path in (string[])[agentScript, spool])
        {
            if (path.Any(char.IsWhiteSpace))
            {
                throw new TestHostException(TestHostError.InvalidConfiguration,
                    $"'{path}' contains whitespace and cannot go on the L1 kernel command line; use a checkout/cache path without spaces");
            }
        }
        string cmdline = $"console=ttyS0 panic=-1 {KernelDefaults} ksagent={agentScript} ksspool={spool}"
            + (tuning.ExtraKernelArgs.Length > 0 ? " " + tuning.ExtraKernelArgs : "");
        return
        [
            "-M", "pc", "-accel", "tcg,thread=multi" + (tuning.ExtraAccelOptions.Length > 0 ? "," + tuning.ExtraAccelOptions : ""), "-smp", $"{tuning.Cpus}", "-m", $"{MemoryMiB}",
            "-cpu", CpuModel, "-nographic", "-no-reboot", "-monitor", tuning.MonitorSocket.Length > 0 ? $"unix:{Escape(tuning.MonitorSocket)},server,nowait" : "none",
            "-serial", $"file:{Escape(consoleLog)}",
            "-kernel", kernel, "-initrd", initramfs, "-append", cmdline,
            "-virtfs", "local,path=/,mount_tag=hostroot,security_model=none,readonly=on,multidevs=remap",
            "-virtfs", $"local,path={Escape(spool)},mount_tag=spool,security_model=none,multidevs=remap",
            "-device", "virtio-serial",
            "-chardev", $"socket,id=ctl,path={Escape(controlSocket)}",
            "-device", "virtserialport,chardev=ctl,name=ksctl",
        ];
    }

    /// <summary>QEMU option values separate with commas; a literal comma is written twice.</summary>
    public static string Escape(string value) => value.Replace(",", ",,");
}
