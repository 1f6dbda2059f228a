// kernel/accounting.hpp — live kernel objects, for OPENNDIS_STATS, leak reports and teardown.
//
//   count_kernel_objects()          every counter at once (cheap: relaxed atomic loads)
//   append_kernel_leak_report(out)  one line per live timer / work item, all drivers (for
//                                   OpenNdisLeakReport; tagged memory is reported separately)
//   report_driver_leaks(d, api)     at a driver's unload: a verifier report for each timer
//                                   (timer_leaked), work item (workitem_leaked) and pool-memory
//                                   tag (memory_leaked) the driver left behind; returns the count
#pragma once

#include <cstdint>
#include <string>

namespace ndis::kernel {

struct driver_identity;

struct kernel_counts {
    std::uint64_t timers = 0;            // timer objects allocated, not freed
    std::uint64_t armed_timers = 0;      // of those, armed
    std::uint64_t work_items = 0;        // work items allocated, not freed
    std::uint64_t queued_work_items = 0; // queued, routine not started
    std::uint64_t queued_dpcs = 0;       // KDPCs queued, routine not started
    std::uint64_t rw_locks = 0;          // NDIS_RW_LOCK_EX allocated, not freed
};

kernel_counts count_kernel_objects() noexcept;
void append_kernel_leak_report(std::string &out);
std::uint64_t report_driver_leaks(const driver_identity *driver, const char *api) noexcept;

} // namespace ndis::kernel
