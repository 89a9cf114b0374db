// Read-only file mappings that survive the file shrinking under them.
//
// A mapped page past the end of a file that was truncated after mapping
// raises SIGBUS on access, which would kill the process. A guarded mapping
// instead gets anonymous zero pages over the rest of its range, and a flag
// says so: the reader checks the flag and reports the file as cut short.
// Only Swift's need for a signal handler that returns lives here; what to
// map and what the flag means is decided in Swift (FileByteSource).
#ifndef CMAPPEDFILE_H
#define CMAPPEDFILE_H

#include <stddef.h>

/// Registers [base, base + length) (page aligned) for SIGBUS recovery and
/// installs the handler on first use. Returns a slot, or -1 when every slot
/// is taken (the caller then reads without a mapping).
int mapped_file_guard(const void *base, size_t length);

/// Forgets a slot (before the range is unmapped).
void mapped_file_unguard(int slot);

/// 1 once an access in the slot's range faulted (the file shrank).
int mapped_file_faulted(int slot);

#endif
