// api/runtime_api.cpp — the embedding API of openndis/runtime.h: accounting and leak reports.
#include "core/pools.hpp"
#include "core/slab_pool.hpp"
#include "core/stack.hpp"
#include "kernel/accounting.hpp"
#include "kernel/memory.hpp"
#include "verifier/verifier.hpp"

#include <openndis/runtime.h>

#include <cstring>
#include <string>

extern "C" {

NDIS_EXPORTED_ROUTINE VOID OpenNdisGetStats(POPENNDIS_STATS Stats)
{
    const ndis::core::live_counts c = ndis::core::count_live();
    const ndis::kernel::memory_totals m = ndis::kernel::memory_live_totals();
    *Stats = OPENNDIS_STATS{};
    Stats->NblPools = c.nbl_pools;
    Stats->NbPools = c.nb_pools;
    Stats->Nbls = c.nbls;
    Stats->Nbs = c.nbs;
    Stats->Mdls = c.mdls;
    Stats->NblContexts = c.contexts;
    Stats->MemoryBlocks = m.blocks;
    Stats->MemoryBytes = m.bytes;
    Stats->SgLists = 0; // scatter/gather DMA is not implemented yet: nothing can be live
    Stats->VerifierReports = ndis::verifier::report_count();
    const ndis::kernel::kernel_counts k = ndis::kernel::count_kernel_objects();
    Stats->Timers = k.timers;
    Stats->WorkItems = k.work_items;
    Stats->QueuedDpcs = k.queued_dpcs;
    Stats->RwLocks = k.rw_locks;
}

NDIS_EXPORTED_ROUTINE SIZE_T OpenNdisLeakReport(PCHAR Buffer, SIZE_T BufferSize)
{
    std::string report;
    try {
        ndis::core::append_leak_report(report);
        ndis::kernel::append_kernel_leak_report(report);
        std::string memory;
        ndis::kernel::memory_append_report(memory);
        if (!memory.empty()) {
            report += "tagged memory:\n" + memory;
        }
    } catch (...) {
        report = "leak report could not be built (out of memory)\n";
    }
    if (Buffer != nullptr && BufferSize != 0) {
        const std::size_t n = report.size() < BufferSize - 1 ? report.size() : BufferSize - 1;
        std::memcpy(Buffer, report.data(), n);
        Buffer[n] = '\0';
    }
    return report.size();
}

NDIS_EXPORTED_ROUTINE VOID OpenNdisInjectAllocationFailures(ULONG Skip, ULONG Count)
{
    ndis::core::slab_pool::inject_failures(Skip, Count);
}

NDIS_EXPORTED_ROUTINE VOID OpenNdisSetPendOpenClose(BOOLEAN Pend)
{
    ndis::core::set_pend_open_close(Pend != FALSE);
}

} // extern "C"
