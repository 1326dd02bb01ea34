// The agent and its tests exist only for Linux.
[assembly: System.Runtime.Versioning.SupportedOSPlatform("linux")]
