using KataSharp.Cli.CommandLine;

// katasharp: host-side tooling around the containerd shim.
return KatasharpCommandLine.Invoke(args, Console.Out, Console.Error);
