// kernel/pool.cpp — see pool.hpp.
#include "kernel/pool.hpp"

#include "kernel/irql.hpp"
#include "kernel/memory.hpp"
#include "kernel/spinlock.hpp"
#include "verifier/verifier.hpp"

#include <ndis/list.h>

namespace ndis::kernel {

using verifier::failure;

void *driver_pool_allocate(const char *api, std::size_t size, ULONG tag, bool zero,
                           std::size_t alignment) noexcept
{
    if (current_irql() > DISPATCH_LEVEL) {
        verifier::report(failure::irql_too_high, api, nullptr,
                         "{}pool allocation at IRQL {} (allowed up to DISPATCH_LEVEL)",
                         driver_prefix(), current_irql());
    }
    if (tag == 0) {
        verifier::report(failure::memory_tag_missing, api, nullptr,
                         "{}pool allocation of {} bytes with tag 0 (a pool tag is required: "
                         "NdisAllocateMemoryWithTagPriority rule)",
                         driver_prefix(), size);
    }
    return pool_alloc(size, tag, zero, alignment);
}

void driver_pool_free(const char *api, void *block, std::optional<ULONG> tag) noexcept
{
    if (block == nullptr) {
        verifier::report(failure::memory_foreign_free, api, nullptr,
                         "{}free of a NULL pointer (bug check 0xC2 BAD_POOL_CALLER on Windows)",
                         driver_prefix());
        return;
    }
    pool_block_info info;
    if (!pool_free(block, &info)) {
        verifier::report(failure::memory_foreign_free, api, block,
                         "{}{} is not live pool memory (never allocated from the pool, or freed "
                         "already): nothing freed",
                         driver_prefix(), block);
        return;
    }
    if (tag && *tag != info.tag) {
        verifier::report(failure::memory_tag_mismatch, api, block,
                         "{}block {} of {} bytes freed with tag '{}' but allocated with tag '{}' "
                         "(freed anyway)",
                         driver_prefix(), block, info.size, tag_to_string(*tag),
                         tag_to_string(info.tag));
    }
}

// ---- Lookaside lists ---------------------------------------------------------------------
// The list keeps freed entries in L.OpenNdis.Entries (linked through each entry's first
// pointer) under the spin lock L.OpenNdis.Lock; Depth counts them, MaximumDepth bounds them.
// The driver's Allocate / Free routines are called with no lock held.

namespace {

constexpr USHORT kDefaultDepth = 256;

void *allocate_entry(GENERAL_LOOKASIDE &l) noexcept
{
    if (l.Allocate != nullptr) {
        return l.Allocate(l.Type, l.Size, l.Tag);
    }
    return driver_pool_allocate("NdisAllocateFromNPagedLookasideList", l.Size, l.Tag, false);
}

void free_entry(GENERAL_LOOKASIDE &l, void *entry) noexcept
{
    if (l.Free != nullptr) {
        l.Free(entry);
        return;
    }
    driver_pool_free("NdisFreeToNPagedLookasideList", entry, std::nullopt);
}

} // namespace

void lookaside_initialize(NPAGED_LOOKASIDE_LIST *list, PALLOCATE_FUNCTION allocate,
                          PFREE_FUNCTION free, ULONG flags, std::size_t size, ULONG tag,
                          USHORT depth) noexcept
{
    (void)flags;
    *list = NPAGED_LOOKASIDE_LIST{};
    GENERAL_LOOKASIDE &l = list->L;
    l.OpenNdis.Entries = nullptr;
    l.OpenNdis.Lock = 0;
    l.Depth = 0;
    l.MaximumDepth = depth != 0 ? depth : kDefaultDepth;
    l.Type = NonPagedPoolNx;
    l.Tag = tag;
    l.Size = static_cast<ULONG>(size < sizeof(void *) ? sizeof(void *) : size);
    l.Allocate = allocate;
    l.Free = free;
    InitializeListHead(&l.ListEntry);
    if (tag == 0 && allocate == nullptr) {
        verifier::report(failure::memory_tag_missing, "NdisInitializeNPagedLookasideList", list,
                         "{}lookaside list {} with tag 0", driver_prefix(),
                         static_cast<const void *>(list));
    }
}

void *lookaside_allocate(NPAGED_LOOKASIDE_LIST *list) noexcept
{
    GENERAL_LOOKASIDE &l = list->L;
    PSINGLE_LIST_ENTRY entry = nullptr;
    {
        spin_guard guard(&l.OpenNdis.Lock, "NdisAllocateFromNPagedLookasideList");
        ++l.TotalAllocates;
        entry = l.OpenNdis.Entries;
        if (entry != nullptr) {
            l.OpenNdis.Entries = entry->Next;
            --l.Depth;
        } else {
            ++l.AllocateMisses;
        }
    }
    if (entry != nullptr) {
        return entry;
    }
    return allocate_entry(l);
}

void lookaside_free(NPAGED_LOOKASIDE_LIST *list, void *entry) noexcept
{
    if (entry == nullptr) {
        verifier::report(failure::null_argument, "NdisFreeToNPagedLookasideList", list,
                         "{}NULL entry", driver_prefix());
        return;
    }
    GENERAL_LOOKASIDE &l = list->L;
    {
        spin_guard guard(&l.OpenNdis.Lock, "NdisFreeToNPagedLookasideList");
        ++l.TotalFrees;
        if (l.Depth < l.MaximumDepth) {
            auto *e = static_cast<PSINGLE_LIST_ENTRY>(entry);
            e->Next = l.OpenNdis.Entries;
            l.OpenNdis.Entries = e;
            ++l.Depth;
            return;
        }
        ++l.FreeMisses;
    }
    free_entry(l, entry);
}

void lookaside_delete(NPAGED_LOOKASIDE_LIST *list) noexcept
{
    GENERAL_LOOKASIDE &l = list->L;
    PSINGLE_LIST_ENTRY entries = nullptr;
    {
        spin_guard guard(&l.OpenNdis.Lock, "NdisDeleteNPagedLookasideList");
        entries = l.OpenNdis.Entries;
        l.OpenNdis.Entries = nullptr;
        l.Depth = 0;
    }
    while (entries != nullptr) {
        PSINGLE_LIST_ENTRY next = entries->Next;
        free_entry(l, entries);
        entries = next;
    }
}

} // namespace ndis::kernel
