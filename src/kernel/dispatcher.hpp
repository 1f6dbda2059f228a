// kernel/dispatcher.hpp — the runtime threads that run deferred work: DPCs, timers, work items.
//
// Threads (started together, lazily, on the first KeInsertQueueDpc / NdisSetTimerObject /
// NdisQueueIoWorkItem; stopped by dispatcher::shutdown()):
//   DPC threads     one per "processor" (default: the CPUs in this process's affinity mask at
//                   start; OPENNDIS_DPC_THREADS=N or set_dpc_threads(N) before the first start),
//                   each with its own FIFO of KDPCs, running routines at DISPATCH_LEVEL.
//   timer thread    keeps armed timers ordered by due time (a std::multimap: O(log n) arm,
//                   cancel and expiry) and, at expiry, queues the timer's internal KDPC to the
//                   DPC thread the timer was given at allocation, so a timer's callbacks never
//                   overlap.
//   worker threads  run work items at PASSIVE_LEVEL; one at start, one more whenever more items
//                   are queued than workers are idle (up to 32), so that routines that block do
//                   not starve the others.
//
// The runtime (host, tests) uses:
//   dispatcher::shutdown()    let queued DPCs and work items finish, then join every thread.
//                             Idempotent, safe at exit (it is also registered with atexit), and
//                             a no-op when called from a runtime thread. Armed timers stay armed
//                             and the threads come back on the next use.
//   dispatcher::running()     whether the threads are up.
//   queued_dpcs()             KDPCs queued and not yet started (live counts for OPENNDIS_STATS;
//   live_timers()/armed_timers()/live_work_items()/queued_work_items() are in timer.hpp /
//   workitem.hpp).
#pragma once

#include <ndis/dpc.h>

#include <cstdint>

namespace ndis::kernel {

class dispatcher {
public:
    static void shutdown() noexcept;
    static bool running() noexcept;
    // Starts the threads if they are not running (the public entry points call it).
    static void ensure_started() noexcept;
    // Number of DPC threads/queues; takes effect only before the first start (returns false
    // afterwards). 0 restores the default.
    static bool set_dpc_threads(unsigned count) noexcept;
    static unsigned dpc_threads() noexcept;
};

// ---- Processors ------------------------------------------------------------------------------
// Processor count reported to drivers (KeQueryActiveProcessorCountEx): the CPUs of the
// affinity mask at start, at least the number of DPC queues. Fixed for the process lifetime.
unsigned processor_count() noexcept;
// The caller's processor index: its DPC queue on a DPC thread, else its CPU (dense index).
unsigned current_processor() noexcept;

// ---- DPCs --------------------------------------------------------------------------------
void dpc_initialize(KDPC *dpc, PKDEFERRED_ROUTINE routine, void *context, bool threaded) noexcept;
// KeInsertQueueDpc: false when already queued. Starts the threads if needed.
bool dpc_insert(KDPC *dpc, void *argument1, void *argument2) noexcept;
// The same for runtime threads, which exist only while the dispatcher runs.
bool dpc_insert_started(KDPC *dpc, void *argument1, void *argument2) noexcept;
// KeRemoveQueueDpc: true when taken out of a queue before it ran.
bool dpc_remove(KDPC *dpc) noexcept;
// KeFlushQueuedDpcs semantics (the caller checked the IRQL).
void dpc_flush() noexcept;
// True when the calling thread is inside `dpc`'s routine.
bool dpc_running_on_caller(const KDPC *dpc) noexcept;
// Waits until `dpc`'s routine is not running on any other thread.
void dpc_wait_not_running(const KDPC *dpc) noexcept;
std::uint64_t queued_dpcs() noexcept;
std::uint64_t running_dpcs() noexcept;

} // namespace ndis::kernel
