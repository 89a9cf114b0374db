import ScopePcap

/// This process's crash guard (capture files stay whole if we are killed):
/// one per process, started by whichever command writes capture files
/// (`capture`, the agent's dumpfile) before it attaches, and handed to the
/// writers it opens.
nonisolated(unsafe) var crashGuard: CrashTruncationGuard?
