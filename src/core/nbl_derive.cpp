// core/nbl_derive.cpp — clones, fragments and reassembled NBLs; the OOB copy helpers.
//
// Derived NBLs describe the bytes of a source NBL without copying them (POOL-14, POOL-18,
// POOL-20; "Derived NET_BUFFER_LIST Structures"). What OpenNDIS does, decided and tested
// (tests/unit/test_nbl_derive.cpp):
//
// Clone — NdisAllocateCloneNetBufferList(orig, nblPool, nbPool, flags), POOL-14
//   * flags: only NDIS_CLONE_FLAGS_USE_ORIGINAL_MDLS may be set (NDIS_CLONE_FLAGS_RESERVED is
//     NDIS's); anything else is reported and NULL returned.
//   * nblPool NULL: the runtime's kind-(a) pool. A kind-(b) pool is accepted: its preallocated
//     NB becomes the clone of the first source NB. A kind-(c) pool (its preallocated data would
//     be meaningless) is reported (pool_wrong_kind), NULL. nbPool NULL: the runtime's NB pool;
//     a pool with DataSize != 0 is reported (nb_pool_wrong_kind, POOL-11), NULL.
//   * One clone NB per source NB, in order, describing the source's used data (the docs: "only
//     cloned from the start of the used data space"):
//       USE_ORIGINAL_MDLS: MdlChain = CurrentMdl = source CurrentMdl, DataOffset =
//         CurrentMdlOffset = source CurrentMdlOffset, DataLength = source DataLength. The
//         original MDLs are shared, never modified and never freed.
//       otherwise: a new MDL (same address, same ByteCount) for each source MDL from CurrentMdl
//         through the MDL holding the last used byte (at least one), NULL-terminated; offsets as
//         above. Zero-length MDLs in between are copied too.
//   * The clone NBL: no context; ParentNetBufferList NULL, ChildRefCount 0 (parent bookkeeping
//     is the caller's, POOL-16); SourceHandle NULL; NblFlags, Flags, Status 0; NetBufferListInfo
//     all zero (§16 point 9: callers copy OOB data with NdisCopySend/ReceiveNetBufferListInfo).
//     Header flags: kFlagClone, plus kFlagCloneOriginalMdls for USE_ORIGINAL_MDLS.
//   * A source NBL with no NB yields a clone with no NB (it describes the same, empty, data).
//
// NdisFreeCloneNetBufferList(clone, flags), POOL-15
//   * Not a clone: reported (clone_free_wrong_api), nothing freed. Flags different from those
//     recorded at allocation: reported (clone_flags_mismatch), then freed according to the
//     recorded flags, so nothing leaks and the original's MDLs are never freed.
//   * Per clone NB: MDLs a retreat added are released (nb_release_retreat_mdls), then the NB's
//     own clone MDLs (none with USE_ORIGINAL_MDLS), then the NB (unless it is the kind-(b)
//     preallocated one); then the NBL. NBL Next is never followed: the driver may have relinked
//     it (DS-25).
//
// Fragment — NdisAllocateFragmentNetBufferList(orig, nblPool, nbPool, StartOffset, MaximumLength,
// DataOffsetDelta, DataBackFill, flags), POOL-18
//   * flags != 0 or MaximumLength 0: reported (fragment_bad_parameters), NULL. Pools as for clone.
//   * For every source NB, in order: skip StartOffset bytes of its used data (an NB with
//     DataLength <= StartOffset yields no fragment), cut the rest into NBs of MaximumLength bytes
//     (the last may be shorter), never merging bytes of different source NBs ("Fragmented
//     NET_BUFFER_LIST Structures"). Each fragment NB gets its own new MDLs describing exactly its
//     bytes (the first starts at the fragment's first byte, DataOffset 0; zero-length source
//     MDLs are not copied), then is retreated by DataOffsetDelta with DataBackFill through
//     NdisRetreatNetBufferDataStart — with DataOffset 0 that always allocates a buffer of
//     DataOffsetDelta + DataBackFill bytes at the head, so the fragment ends up with
//     DataOffset = DataBackFill unused bytes in front of DataOffsetDelta writable header bytes.
//   * Nothing to fragment (no NB has more than StartOffset bytes, or the NBL has no NB): NULL,
//     reported (fragment_bad_parameters). The docs define the result as fragments of the used
//     data, each "described by a new NET_BUFFER structure", and NULL as the only other outcome
//     (NdisAllocateFragmentNetBufferList, Return value); an NBL without NBs cannot be sent.
//   * A fragment whose length + DataOffsetDelta would overflow DataLength (ULONG), or
//     DataOffsetDelta + DataBackFill overflowing a ULONG: reported, NULL.
//   * No context, ParentNetBufferList NULL, info zero, as for clones. Header flag kFlagFragment.
//
// NdisFreeFragmentNetBufferList(nbl, DataOffsetDelta, flags), POOL-19
//   * Not a fragment NBL: reported (fragment_free_wrong_api), nothing freed. flags != 0:
//     reported, then freed anyway (no flag changes what is freed).
//   * Per NB: advance by DataOffsetDelta with FreeMdl TRUE (NdisAdvanceNetBufferDataStart), which
//     frees the MDL the allocation's retreat added; nb_release_retreat_mdls then frees whatever a
//     smaller (mismatched) delta left. A delta larger than the NB's DataLength is reported and
//     not applied. Then the fragment MDLs, the NB, and finally the NBL.
//
// Reassembly — NdisAllocateReassembledNetBufferList(fragNbl, pool, StartOffset, DataOffsetDelta,
// DataBackFill, flags), POOL-20
//   * flags != 0: reported (reassembly_bad_parameters), NULL. pool NULL: the runtime's kind-(b)
//     pool ("If this parameter is NULL, NDIS uses an internal pool"); a pool that is not kind (b)
//     (fAllocateNetBuffer TRUE, DataSize 0, as the page requires): reported, NULL.
//   * One NBL whose preallocated NB's MDL chain concatenates, in source order, new MDLs that
//     describe each source NB's used data after skipping StartOffset in each; DataOffset 0,
//     DataLength = the total; then retreated by DataOffsetDelta with DataBackFill.
//   * Nothing left after StartOffset in any NB: reported, NULL (as for fragments: the page
//     defines the result as an NB describing the concatenated remaining data). A total (plus
//     DataOffsetDelta) that does not fit a ULONG: reported, NULL.
//   * No context, ParentNetBufferList NULL, info zero. Header flag kFlagReassembled.
//   NdisFreeReassembledNetBufferList(nbl, DataOffsetDelta, flags): not a reassembled NBL:
//   reported (reassembly_free_wrong_api), nothing freed; flags != 0 reported, freed anyway;
//   advance with FreeMdl TRUE, release retreat MDLs, free the MDLs, free the NBL.
//
// Every allocation failure on the way undoes everything made so far and returns NULL: nothing
// leaks, the source is untouched. The MDLs made here carry kFlagDerivedMdl in their header
// (nbl_derive.hpp); the free functions release exactly those.
//
// NdisCopySendNetBufferListInfo (POOL-21; page "NdisCopySendNetBufferListInfo function") copies
// exactly slots 0 checksum, 1 IPsec v1, 2 LSO, 4 802.1Q, 5 CancelId, 6 MediaSpecificInformation,
// 7 ProtocolId, 11 IPsec v2 tunnel, 12 IPsec v2 header, 14 FilteringInfo, 20 VirtualSubnetInfo.
// NdisCopyReceiveNetBufferListInfo (page "NdisCopyReceiveNetBufferListInfo function") copies
// exactly 0 checksum, 1 IPsec v1, 2 TcpReceiveNoPush, 4 802.1Q, 6 MediaSpecificInformation,
// 7 FrameType, 8 HashValue, 9 HashInfo, 11 IPsec v2 tunnel, 12 IPsec v2 header,
// 14 FilteringInfo, 20 VirtualSubnetInfo — not CancelId (5), a send-only slot. Both return
// NDIS_STATUS_SUCCESS; nothing else of either NBL changes.
#include "core/nbl_derive.hpp"

#include "core/nb_geometry.hpp"
#include "verifier/verifier.hpp"

#include <ndis/status.h>

#include <algorithm>

namespace ndis::core {

namespace {

using verifier::failure;

// ---- building MDL chains ------------------------------------------------------------------

// A NULL-terminated chain of new derived MDLs; frees what it still holds when destroyed.
class mdl_chain_builder {
public:
    mdl_chain_builder() = default;
    mdl_chain_builder(const mdl_chain_builder &) = delete;
    mdl_chain_builder &operator=(const mdl_chain_builder &) = delete;
    ~mdl_chain_builder() { reset(); }

    // Appends an MDL describing [va, va + length). False when out of memory.
    bool append(void *va, ULONG length) noexcept
    {
        PMDL m = mdl_allocate(va, length);
        if (m == nullptr) {
            return false;
        }
        header_of(m)->flags |= kFlagDerivedMdl;
        if (tail_ != nullptr) {
            tail_->Next = m;
        } else {
            head_ = m;
        }
        tail_ = m;
        return true;
    }

    PMDL head() const noexcept { return head_; }

    // Hands the chain over to its NB: the builder no longer frees it.
    PMDL release() noexcept
    {
        PMDL h = head_;
        head_ = tail_ = nullptr;
        return h;
    }

    void reset() noexcept
    {
        for (PMDL m = head_; m != nullptr;) {
            PMDL next = m->Next;
            mdl_free(m, "(derived NBL rollback)");
            m = next;
        }
        head_ = tail_ = nullptr;
    }

private:
    PMDL head_ = nullptr;
    PMDL tail_ = nullptr;
};

enum class build_result { ok, no_memory, corrupt };

// A byte position in an MDL chain (offset may equal ByteCount: "just after this MDL").
struct cursor {
    PMDL mdl;
    std::uint64_t offset;
};

std::uint64_t bytes_left_in(const cursor &c) noexcept
{
    return c.mdl->ByteCount > c.offset ? c.mdl->ByteCount - c.offset : 0;
}

// Moves `c` forward by `n` bytes. False when the chain ends first (corrupt source geometry).
bool skip(cursor &c, std::uint64_t n) noexcept
{
    for (std::size_t steps = 0; n != 0; ++steps) {
        if (c.mdl == nullptr || steps >= kMaxChainWalk) {
            return false;
        }
        const std::uint64_t avail = bytes_left_in(c);
        if (n < avail) {
            c.offset += n;
            return true;
        }
        n -= avail;
        c.mdl = c.mdl->Next;
        c.offset = 0;
    }
    return true;
}

// Appends to `out` new MDLs describing the next `n` bytes at `c` (zero-length pieces are
// skipped) and moves `c` past them.
build_result take(cursor &c, std::uint64_t n, mdl_chain_builder &out) noexcept
{
    for (std::size_t steps = 0; n != 0; ++steps) {
        if (c.mdl == nullptr || steps >= kMaxChainWalk) {
            return build_result::corrupt;
        }
        const std::uint64_t avail = bytes_left_in(c);
        if (avail == 0) {
            c.mdl = c.mdl->Next;
            c.offset = 0;
            continue;
        }
        const auto piece = static_cast<ULONG>(std::min(avail, n));
        if (!out.append(mdl_address({c.mdl, static_cast<ULONG>(c.offset)}), piece)) {
            return build_result::no_memory;
        }
        c.offset += piece;
        n -= piece;
    }
    return build_result::ok;
}

// New MDLs for a clone NB: one per source MDL from CurrentMdl through the MDL that holds the
// last used byte (at least one), same addresses and ByteCounts.
build_result copy_mdls_for_clone(const NET_BUFFER *src, mdl_chain_builder &out) noexcept
{
    PMDL m = src->CurrentMdl;
    if (m == nullptr) {
        return src->DataLength == 0 ? build_result::ok : build_result::corrupt;
    }
    // Bytes from the start of CurrentMdl through the last used byte.
    std::uint64_t need = std::uint64_t{src->CurrentMdlOffset} + src->DataLength;
    for (std::size_t steps = 0; steps < kMaxChainWalk; ++steps) {
        if (!out.append(MmGetSystemAddressForMdlSafe(m, NormalPagePriority), m->ByteCount)) {
            return build_result::no_memory;
        }
        if (need <= m->ByteCount) {
            return build_result::ok;
        }
        need -= m->ByteCount;
        m = m->Next;
        if (m == nullptr) {
            return build_result::corrupt;
        }
    }
    return build_result::corrupt;
}

void report_corrupt(const char *api, const NET_BUFFER_LIST *nbl, const NET_BUFFER *nb)
{
    verifier::report(failure::nb_data_beyond_chain, api, nb,
                     "NB {} of NBL {}: its MDL chain ends before CurrentMdl/CurrentMdlOffset + "
                     "DataLength {} (corrupt source geometry): nothing allocated",
                     static_cast<const void *>(nb), static_cast<const void *>(nbl),
                     nb->DataLength);
}

// ---- releasing derived NBLs ---------------------------------------------------------------

// Unlinks and frees the MDLs made here (kFlagDerivedMdl) from `nb`'s chain; others stay.
void free_derived_mdls(PNET_BUFFER nb, const char *api) noexcept
{
    PMDL *link = &nb->MdlChain;
    PMDL m = nb->MdlChain;
    for (std::size_t steps = 0; m != nullptr && steps < kMaxChainWalk; ++steps) {
        PMDL next = m->Next;
        const object_header *mh = probe_header(m, object_kind::mdl);
        if (mh != nullptr && (mh->flags & kFlagDerivedMdl)) {
            *link = next;
            mdl_free(m, api);
        } else {
            link = &m->Next;
        }
        m = next;
    }
    nb->CurrentMdl = nb->MdlChain;
    nb->CurrentMdlOffset = 0;
    nb->DataOffset = 0;
    nb->DataLength = 0;
}

struct release_options {
    bool free_mdls = true;       // false for USE_ORIGINAL_MDLS clones
    ULONG advance = 0;           // DataOffsetDelta to advance each NB by first (FreeMdl TRUE)
    failure too_far = failure::fragment_bad_parameters; // report for advance > DataLength
};

// Frees every NB of a derived NBL (and its MDLs), then the NBL. Never follows NBL Next.
void release(object_header *h, PNET_BUFFER_LIST nbl, const release_options &opt,
             const char *api) noexcept
{
    bool reported = false;
    PNET_BUFFER nb = nbl->FirstNetBuffer;
    nbl->FirstNetBuffer = nullptr;
    for (std::size_t steps = 0; nb != nullptr && steps < kMaxChainWalk; ++steps) {
        PNET_BUFFER next = nb->Next;
        nb->Next = nullptr;
        if (opt.advance != 0) {
            if (opt.advance <= nb->DataLength) {
                NdisAdvanceNetBufferDataStart(nb, opt.advance, TRUE, nullptr);
            } else if (!reported) {
                reported = true;
                verifier::report(opt.too_far, api, nbl,
                                 "DataOffsetDelta {} exceeds DataLength {} of NB {}: it does not "
                                 "match the DataOffsetDelta of the allocation; not advanced",
                                 opt.advance, nb->DataLength, static_cast<const void *>(nb));
            }
        }
        nb_release_retreat_mdls(nb);
        if (opt.free_mdls) {
            free_derived_mdls(nb, api);
        }
        object_header *nbh = probe_header(nb, object_kind::nb);
        if (nbh != nullptr && !(nbh->flags & kFlagPreallocated)) {
            nb_pool::free(nbh, nb, api);
        }
        // The kind-(b) preallocated NB goes with the NBL below; an NB that is neither ours nor
        // runtime-made (linked in by the driver, DS-25) is left alone.
        nb = next;
    }
    nbl_pool::free(h, nbl, api);
}

// Allocates a bare derived NBL from `pool`: no context, all zero. For a kind-(b) pool the
// preallocated NB is detached and returned in `spare` (FirstNetBuffer starts NULL).
PNET_BUFFER_LIST allocate_nbl(nbl_pool *pool, std::uint8_t kind_flags, PNET_BUFFER &spare) noexcept
{
    PNET_BUFFER_LIST nbl = pool->allocate(0, 0);
    if (nbl == nullptr) {
        return nullptr;
    }
    header_of(nbl)->flags |= kind_flags;
    spare = nbl->FirstNetBuffer;
    nbl->FirstNetBuffer = nullptr;
    return nbl;
}

// Gets an NB for `chain` / `offset` / `length`: the spare preallocated NB if there is one, else
// a new one from `nbs`. Null when out of memory.
PNET_BUFFER take_nb(PNET_BUFFER &spare, nb_pool *nbs, PMDL chain, ULONG offset,
                    ULONG length) noexcept
{
    if (spare != nullptr) {
        PNET_BUFFER nb = spare;
        spare = nullptr;
        nb->MdlChain = chain;
        nb->DataOffset = offset;
        nb->DataLength = length;
        nb_adjust_current(nb);
        return nb;
    }
    return nbs->allocate(chain, offset, length);
}

} // namespace

// ---- OOB ----------------------------------------------------------------------------------

void copy_info_slots(PNET_BUFFER_LIST dest, const NET_BUFFER_LIST *src,
                     std::span<const NDIS_NET_BUFFER_LIST_INFO> slots) noexcept
{
    for (NDIS_NET_BUFFER_LIST_INFO slot : slots) {
        dest->NetBufferListInfo[slot] = src->NetBufferListInfo[slot];
    }
}

data_after_start measure_data_after(const NET_BUFFER_LIST *nbl, ULONG start_offset) noexcept
{
    data_after_start d;
    const NET_BUFFER *nb = nbl->FirstNetBuffer;
    for (std::size_t steps = 0; nb != nullptr && steps < kMaxChainWalk; ++steps, nb = nb->Next) {
        if (nb->DataLength > start_offset) {
            const std::uint64_t rest = nb->DataLength - start_offset;
            d.total += rest;
            d.largest = std::max(d.largest, rest);
            ++d.nbs;
        }
    }
    return d;
}

// ---- clone --------------------------------------------------------------------------------

PNET_BUFFER_LIST clone_allocate(PNET_BUFFER_LIST original, nbl_pool *nbls, nb_pool *nbs,
                                bool use_original_mdls, const char *api) noexcept
{
    PNET_BUFFER spare = nullptr;
    const std::uint8_t flags = kFlagClone | (use_original_mdls ? kFlagCloneOriginalMdls : 0);
    PNET_BUFFER_LIST clone = allocate_nbl(nbls, flags, spare);
    if (clone == nullptr) {
        return nullptr;
    }
    const release_options undo{.free_mdls = !use_original_mdls};
    PNET_BUFFER *tail = &clone->FirstNetBuffer;
    const NET_BUFFER *src = original->FirstNetBuffer;
    for (std::size_t steps = 0; src != nullptr; ++steps, src = src->Next) {
        if (steps >= kMaxChainWalk) {
            report_corrupt(api, original, src);
            release(header_of(clone), clone, undo, api);
            return nullptr;
        }
        mdl_chain_builder mdls;
        PMDL chain = src->CurrentMdl;
        if (chain == nullptr && src->DataLength != 0) {
            report_corrupt(api, original, src);
            release(header_of(clone), clone, undo, api);
            return nullptr;
        }
        if (!use_original_mdls) {
            const build_result r = copy_mdls_for_clone(src, mdls);
            if (r != build_result::ok) {
                if (r == build_result::corrupt) {
                    report_corrupt(api, original, src);
                }
                mdls.reset();
                release(header_of(clone), clone, undo, api);
                return nullptr;
            }
            chain = mdls.head();
        }
        const ULONG offset = chain != nullptr ? src->CurrentMdlOffset : 0;
        PNET_BUFFER nb = take_nb(spare, nbs, chain, offset, src->DataLength);
        if (nb == nullptr) {
            mdls.reset();
            release(header_of(clone), clone, undo, api);
            return nullptr;
        }
        mdls.release();
        // Same window as the source: CurrentMdl is the chain head (DS-04).
        nb->CurrentMdl = chain;
        nb->CurrentMdlOffset = offset;
        *tail = nb;
        tail = &nb->Next;
    }
    return clone;
}

void clone_free(object_header *h, PNET_BUFFER_LIST clone, const char *api) noexcept
{
    const release_options opt{.free_mdls = !(h->flags & kFlagCloneOriginalMdls)};
    release(h, clone, opt, api);
}

// ---- fragment -----------------------------------------------------------------------------

PNET_BUFFER_LIST fragment_allocate(PNET_BUFFER_LIST original, nbl_pool *nbls, nb_pool *nbs,
                                   ULONG start_offset, ULONG maximum_length,
                                   ULONG data_offset_delta, ULONG data_backfill,
                                   const char *api) noexcept
{
    PNET_BUFFER spare = nullptr;
    PNET_BUFFER_LIST frag = allocate_nbl(nbls, kFlagFragment, spare);
    if (frag == nullptr) {
        return nullptr;
    }
    const release_options undo{}; // no advance: nb_release_retreat_mdls undoes a retreat
    auto fail = [&](const NET_BUFFER *corrupt_nb) -> PNET_BUFFER_LIST {
        if (corrupt_nb != nullptr) {
            report_corrupt(api, original, corrupt_nb);
        }
        release(header_of(frag), frag, undo, api);
        return nullptr;
    };
    PNET_BUFFER *tail = &frag->FirstNetBuffer;
    const NET_BUFFER *src = original->FirstNetBuffer;
    for (std::size_t steps = 0; src != nullptr; ++steps, src = src->Next) {
        if (steps >= kMaxChainWalk) {
            return fail(src);
        }
        if (src->DataLength <= start_offset) {
            continue; // nothing of this NB after StartOffset: no fragment
        }
        cursor at{src->CurrentMdl, src->CurrentMdlOffset};
        if (!skip(at, start_offset)) {
            return fail(src);
        }
        // Never merge bytes of different source NBs: each one is cut on its own.
        for (ULONG remaining = src->DataLength - start_offset; remaining != 0;) {
            const ULONG length = std::min(remaining, maximum_length);
            mdl_chain_builder mdls;
            const build_result r = take(at, length, mdls);
            if (r != build_result::ok) {
                mdls.reset();
                return fail(r == build_result::corrupt ? src : nullptr);
            }
            PNET_BUFFER nb = take_nb(spare, nbs, mdls.head(), 0, length);
            if (nb == nullptr) {
                mdls.reset();
                return fail(nullptr);
            }
            mdls.release();
            *tail = nb; // linked first, so the rollback below covers it
            tail = &nb->Next;
            if (data_offset_delta != 0 &&
                NdisRetreatNetBufferDataStart(nb, data_offset_delta, data_backfill, nullptr) !=
                    NDIS_STATUS_SUCCESS) {
                return fail(nullptr);
            }
            remaining -= length;
        }
    }
    return frag;
}

void fragment_free(object_header *h, PNET_BUFFER_LIST fragment, ULONG data_offset_delta,
                   const char *api) noexcept
{
    const release_options opt{.free_mdls = true,
                              .advance = data_offset_delta,
                              .too_far = failure::fragment_bad_parameters};
    release(h, fragment, opt, api);
}

// ---- reassembly ---------------------------------------------------------------------------

PNET_BUFFER_LIST reassembled_allocate(PNET_BUFFER_LIST fragments, nbl_pool *pool,
                                      ULONG start_offset, ULONG data_offset_delta,
                                      ULONG data_backfill, const char *api) noexcept
{
    PNET_BUFFER nb = nullptr;
    PNET_BUFFER_LIST nbl = allocate_nbl(pool, kFlagReassembled, nb);
    if (nbl == nullptr) {
        return nullptr;
    }
    mdl_chain_builder mdls;
    std::uint64_t total = 0;
    const NET_BUFFER *src = fragments->FirstNetBuffer;
    for (std::size_t steps = 0; src != nullptr; ++steps, src = src->Next) {
        build_result r = build_result::corrupt;
        if (steps < kMaxChainWalk) {
            if (src->DataLength <= start_offset) {
                continue;
            }
            cursor at{src->CurrentMdl, src->CurrentMdlOffset};
            const ULONG length = src->DataLength - start_offset;
            if (skip(at, start_offset)) {
                r = take(at, length, mdls);
            }
            total += length;
        }
        if (r != build_result::ok) {
            if (r == build_result::corrupt) {
                report_corrupt(api, fragments, src);
            }
            mdls.reset();
            nbl->FirstNetBuffer = nb; // the preallocated NB goes back with the NBL
            nbl_pool::free(header_of(nbl), nbl, api);
            return nullptr;
        }
    }
    nb->MdlChain = mdls.release();
    nb->DataOffset = 0;
    nb->DataLength = static_cast<ULONG>(total); // the shell checked that it fits
    nb_adjust_current(nb);
    nbl->FirstNetBuffer = nb;
    if (data_offset_delta != 0 &&
        NdisRetreatNetBufferDataStart(nb, data_offset_delta, data_backfill, nullptr) !=
            NDIS_STATUS_SUCCESS) {
        release(header_of(nbl), nbl, release_options{}, api);
        return nullptr;
    }
    return nbl;
}

void reassembled_free(object_header *h, PNET_BUFFER_LIST reassembled, ULONG data_offset_delta,
                      const char *api) noexcept
{
    const release_options opt{.free_mdls = true,
                              .advance = data_offset_delta,
                              .too_far = failure::reassembly_bad_parameters};
    release(h, reassembled, opt, api);
}

} // namespace ndis::core
