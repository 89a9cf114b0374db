#include "mapped_file.h"

#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define GUARD_SLOTS 64

struct guard {
    _Atomic uintptr_t base;
    _Atomic size_t length;
    atomic_int faulted;
};

static struct guard guards[GUARD_SLOTS];
static struct sigaction previous_action;
static uintptr_t page_mask;
static pthread_once_t install_once = PTHREAD_ONCE_INIT;
static pthread_mutex_t slots_lock = PTHREAD_MUTEX_INITIALIZER;

static void on_sigbus(int sig, siginfo_t *info, void *context) {
    uintptr_t address = (uintptr_t)info->si_addr;
    for (int slot = 0; slot < GUARD_SLOTS; slot++) {
        uintptr_t base = atomic_load(&guards[slot].base);
        size_t length = atomic_load(&guards[slot].length);
        if (base == 0 || address < base || address - base >= length) continue;
        // Zero pages from the faulting page to the end of the range: one
        // fault, not one per page, and the reader sees zeros, never a signal.
        uintptr_t page = address & page_mask;
        void *zeros = mmap((void *)page, base + length - page, PROT_READ,
                           MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
        if (zeros != MAP_FAILED) {
            atomic_store(&guards[slot].faulted, 1);
            return;
        }
        break;
    }
    // Not a guarded mapping: whatever handled SIGBUS before (by default the
    // process dies when the access is retried).
    if ((previous_action.sa_flags & SA_SIGINFO) && previous_action.sa_sigaction) {
        previous_action.sa_sigaction(sig, info, context);
        return;
    }
    if (previous_action.sa_handler != SIG_DFL && previous_action.sa_handler != SIG_IGN) {
        previous_action.sa_handler(sig);
        return;
    }
    signal(SIGBUS, SIG_DFL);
}

static void install(void) {
    page_mask = ~((uintptr_t)sysconf(_SC_PAGESIZE) - 1);
    struct sigaction action;
    memset(&action, 0, sizeof(action));
    action.sa_sigaction = on_sigbus;
    action.sa_flags = SA_SIGINFO | SA_NODEFER;
    sigemptyset(&action.sa_mask);
    sigaction(SIGBUS, &action, &previous_action);
}

int mapped_file_guard(const void *base, size_t length) {
    pthread_once(&install_once, install);
    pthread_mutex_lock(&slots_lock);
    int found = -1;
    for (int slot = 0; slot < GUARD_SLOTS; slot++) {
        if (atomic_load(&guards[slot].base) != 0) continue;
        atomic_store(&guards[slot].faulted, 0);
        atomic_store(&guards[slot].length, length);
        atomic_store(&guards[slot].base, (uintptr_t)base);
        found = slot;
        break;
    }
    pthread_mutex_unlock(&slots_lock);
    return found;
}

void mapped_file_unguard(int slot) {
    if (slot < 0 || slot >= GUARD_SLOTS) return;
    atomic_store(&guards[slot].base, 0);
}

int mapped_file_faulted(int slot) {
    if (slot < 0 || slot >= GUARD_SLOTS) return 0;
    return atomic_load_explicit(&guards[slot].faulted, memory_order_relaxed);
}
