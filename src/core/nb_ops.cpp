// core/nb_ops.cpp — see nb_ops.hpp.
//
// Where the data starts (the boundary rule)
//   Every position is found with locate() (nb_geometry.hpp): the byte at chain offset X lives
//   in the first MDL that still has bytes at X, so an offset equal to an MDL's ByteCount, and
//   any zero-length MDL, moves on to the next MDL that has bytes; only at the very end of the
//   chain does a position name the last MDL at offset ByteCount. Readers (GetDataBuffer, copy,
//   physical count) start from CurrentMdl/CurrentMdlOffset — which the caller must keep right
//   (DS-04) — and apply the same rule from there, so a CurrentMdl left at the end of an MDL by
//   a driver reads the same bytes. Writers (retreat, advance, adjust) set DataOffset and
//   re-derive CurrentMdl/CurrentMdlOffset with nb_adjust_current(), so they always leave the
//   canonical position.
//
// Retreat/advance MDL bookkeeping (the aux32 stack)
//   A retreat that finds DataOffset >= delta only moves the window (DataOffset -= delta). One
//   that does not (d = DataOffset < delta) gets a buffer+MDL m of at least delta + backfill
//   bytes — from the driver's NetAllocateMdl when given, else from the runtime — and pushes it
//   on the head of MdlChain. The used data then starts delta - d bytes before the end of m and
//   runs on into the old chain from its offset 0 (the old d unused bytes become used), so the
//   unused space in front of the data is ByteCount(m) - (delta - d) >= backfill + d.
//   The NB's private header counts those MDLs: header_of(nb)->aux32 = number of MDLs at the
//   head of MdlChain that retreats pushed. They only ever go on and come off the head, so the
//   count is a stack. An advance with FreeMdl TRUE pops them while the head lies entirely in the
//   unused space (ByteCount(head) <= DataOffset), lowering DataOffset by each one's size. With
//   FreeMdl FALSE (the receive path, DS-35) they stay and later retreats reuse their space
//   without allocating; NdisFreeNetBuffer frees whatever the runtime pushed and is still there
//   (nb_release_retreat_mdls). Hence DS-34: retreat(delta) then advance(delta, TRUE) restores
//   MdlChain, DataOffset, DataLength and (for a canonical start) CurrentMdl/CurrentMdlOffset.
//   Who frees a popped MDL: an MDL the runtime made (its header has kFlagOwnsBuffer) always goes
//   back to the runtime; one the driver's NetAllocateMdl made goes to its NetFreeMdl. NDIS
//   "calls NetFreeMdl only to free the MDLs and memory that the driver allocated in
//   NetAllocateMdl" (NdisAdvanceNetBufferDataStart, Remarks).
//   NBL-level retreat (DS-36) works in two phases: first it checks every NB and gets every MDL
//   the retreat will need, changing nothing; only when all of that succeeded does it apply the
//   retreat to every NB (which cannot fail). A failure gives back the MDLs it got (through the
//   FreeMdlHandler for those the driver's handler made) and leaves every NB exactly as it was.
#include "core/nb_ops.hpp"

#include "core/nb_geometry.hpp"
#include "core/object.hpp"
#include "core/pools.hpp"
#include "verifier/verifier.hpp"

#include <ndis/status.h>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <string>

namespace ndis::core {

using verifier::failure;

namespace {

// A position in an MDL chain that names a byte, or none (mdl == nullptr) past the last byte.
struct cursor {
    PMDL mdl = nullptr;
    ULONG offset = 0; // < mdl->ByteCount

    // The byte `offset` bytes from the start of `from`, by the boundary rule of locate().
    static cursor at(PMDL from, std::uint64_t offset) noexcept
    {
        const mdl_position p = locate(from, offset);
        if (p.mdl == nullptr || p.offset >= p.mdl->ByteCount) {
            return {};
        }
        return {p.mdl, p.offset};
    }
    // Contiguous bytes from here to the end of this MDL (>= 1).
    ULONG run() const noexcept { return mdl->ByteCount - offset; }
    std::uint8_t *address() const noexcept { return mdl_address({mdl, offset}); }
    // Moves on by n <= run() bytes.
    void skip(ULONG n) noexcept
    {
        if (n < run()) {
            offset += n;
        } else {
            *this = at(mdl->Next, 0);
        }
    }
};

// Byte `offset` of the NB's used data, found from CurrentMdl/CurrentMdlOffset.
cursor data_at(const NET_BUFFER *nb, std::uint64_t offset = 0) noexcept
{
    return cursor::at(nb->CurrentMdl, std::uint64_t{nb->CurrentMdlOffset} + offset);
}

// DS-03/DS-04 on entry, when the optional checks are on. Reports and returns false if broken.
bool geometry_ok(const char *api, const NET_BUFFER *nb) noexcept
{
    if (!verifier::checks_enabled()) {
        return true;
    }
    std::string why;
    bool ok = false;
    try {
        ok = nb_check(nb, &why);
    } catch (...) {
        why = "(no detail)";
    }
    if (!ok) {
        verifier::report(failure::nb_geometry_invalid, api, nb, "NB {}: {}",
                         static_cast<const void *>(nb), why);
    }
    return ok;
}

void report_null(const char *api, const char *what) noexcept
{
    verifier::report(failure::null_argument, api, nullptr, "{} is NULL", what);
}

bool aligned(const void *p, UINT align_multiple, UINT align_offset) noexcept
{
    return (reinterpret_cast<std::uintptr_t>(p) & (align_multiple - 1)) == align_offset;
}

// Copies `n` bytes from `c` on into `out`. False if the chain ends first (DS-03 broken).
bool gather(cursor c, ULONG n, std::uint8_t *out) noexcept
{
    while (n != 0) {
        if (c.mdl == nullptr) {
            return false;
        }
        const ULONG chunk = std::min(n, c.run());
        std::memcpy(out, c.address(), chunk);
        out += chunk;
        n -= chunk;
        c.skip(chunk);
    }
    return true;
}

// Gets the buffer+MDL for a retreat that needs one (d = DataOffset < delta), without touching
// the NB. Cold.
__attribute__((noinline, cold)) NDIS_STATUS
allocate_retreat_mdl(PNET_BUFFER nb, ULONG delta, ULONG backfill,
                     NET_BUFFER_ALLOCATE_MDL *allocate_mdl, const char *api, PMDL *out) noexcept
{
    *out = nullptr;
    if (probe_header(nb, object_kind::nb) == nullptr) {
        verifier::report(failure::nb_foreign, api, nb,
                         "NB {} is not from an NDIS pool: cannot record a retreat MDL",
                         static_cast<const void *>(nb));
        return NDIS_STATUS_FAILURE;
    }
    const std::uint64_t wanted = std::uint64_t{delta} + backfill;
    if (wanted > MAXULONG) {
        verifier::report(failure::retreat_bad_parameters, api, nb,
                         "NB {}: DataOffsetDelta {} + DataBackFill {} overflows a ULONG",
                         static_cast<const void *>(nb), delta, backfill);
        return NDIS_STATUS_FAILURE;
    }
    const ULONG needed = delta - nb->DataOffset; // bytes of new data the new MDL must hold
    ULONG size = static_cast<ULONG>(wanted);
    PMDL m = allocate_mdl != nullptr ? allocate_mdl(&size) : mdl_allocate_with_buffer(size);
    if (m == nullptr) {
        return NDIS_STATUS_RESOURCES;
    }
    if (m->ByteCount < needed) {
        // Not linked: the MDL stays the driver's (its NetAllocateMdl broke its contract).
        verifier::report(failure::retreat_bad_parameters, api, nb,
                         "NB {}: NetAllocateMdl returned MDL {} of {} bytes, {} were asked and "
                         "at least {} are needed",
                         static_cast<const void *>(nb), static_cast<const void *>(m),
                         m->ByteCount, wanted, needed);
        return NDIS_STATUS_FAILURE;
    }
    *out = m;
    return NDIS_STATUS_SUCCESS;
}

// Pushes a retreat MDL from allocate_retreat_mdl on the NB's chain (see the file comment).
void link_retreat_mdl(PNET_BUFFER nb, PMDL m, ULONG delta) noexcept
{
    const ULONG needed = delta - nb->DataOffset;
    m->Next = nb->MdlChain;
    nb->MdlChain = m;
    nb->DataOffset = m->ByteCount - needed;
    nb->DataLength += delta;
    nb->CurrentMdl = m; // what locate(MdlChain, DataOffset) gives: DataOffset < ByteCount(m)
    nb->CurrentMdlOffset = nb->DataOffset;
    header_of(nb)->aux32 += 1;
}

// The checks a retreat makes before it changes anything.
bool retreat_ok(PNET_BUFFER nb, ULONG delta, const char *api) noexcept
{
    if (delta > MAXULONG - nb->DataLength) {
        verifier::report(failure::retreat_bad_parameters, api, nb,
                         "NB {}: DataLength {} + DataOffsetDelta {} overflows a ULONG (DS-07)",
                         static_cast<const void *>(nb), nb->DataLength, delta);
        return false;
    }
    return geometry_ok(api, nb);
}

// Gives back an MDL that allocate_retreat_mdl made but that was never linked.
void discard_retreat_mdl(PMDL m, NET_BUFFER_FREE_MDL *free_mdl_fn, const char *api) noexcept
{
    const object_header *mh = probe_header(m, object_kind::mdl);
    if (mh != nullptr && (mh->flags & kFlagOwnsBuffer) != 0) {
        mdl_free(m, api);
    } else if (free_mdl_fn != nullptr) {
        m->Next = nullptr;
        free_mdl_fn(m);
    } else {
        verifier::report(failure::null_argument, api, m,
                         "rolling back: MDL {} from the driver's NetAllocateMdl cannot be given "
                         "back because FreeMdlHandler is NULL (DS-36)",
                         static_cast<const void *>(m));
    }
}

// Pops retreat MDLs that lie wholly in the unused space (see the file comment).
void free_unused_retreat_mdls(PNET_BUFFER nb, NET_BUFFER_FREE_MDL *free_mdl_fn,
                              const char *api) noexcept
{
    object_header *nbh = probe_header(nb, object_kind::nb);
    if (nbh == nullptr) {
        return; // a foreign NB never got a retreat MDL (retreat refuses to allocate for it)
    }
    while (nbh->aux32 != 0) {
        PMDL head = nb->MdlChain;
        if (head == nullptr || head->ByteCount > nb->DataOffset) {
            break;
        }
        const object_header *mh = probe_header(head, object_kind::mdl);
        const bool runtime_made = mh != nullptr && (mh->flags & kFlagOwnsBuffer) != 0;
        if (!runtime_made && free_mdl_fn == nullptr) {
            verifier::report(failure::null_argument, api, nb,
                             "NB {}: MDL {} was made by the driver's NetAllocateMdl but "
                             "FreeMdlHandler is NULL; it stays on the chain",
                             static_cast<const void *>(nb), static_cast<const void *>(head));
            break;
        }
        nb->MdlChain = head->Next;
        nb->DataOffset -= head->ByteCount;
        nbh->aux32 -= 1;
        head->Next = nullptr;
        if (runtime_made) {
            mdl_free(head, api);
        } else {
            free_mdl_fn(head);
        }
    }
}

} // namespace

// ---- NdisGetDataBuffer --------------------------------------------------------------------

PVOID nb_get_data_buffer(PNET_BUFFER nb, ULONG bytes_needed, PVOID storage, UINT align_multiple,
                         UINT align_offset) noexcept
{
    constexpr const char *api = "NdisGetDataBuffer";
    if (align_multiple == 0 || align_multiple > 8192 ||
        (align_multiple & (align_multiple - 1)) != 0 || align_offset >= align_multiple) {
        verifier::report(failure::get_data_buffer_bad_alignment, api, nb,
                         "AlignMultiple {} / AlignOffset {}: AlignMultiple must be a power of two "
                         "in [1, 8192] and AlignOffset smaller than it",
                         align_multiple, align_offset);
        return nullptr;
    }
    if (nb == nullptr) {
        report_null(api, "NetBuffer");
        return nullptr;
    }
    if (!geometry_ok(api, nb)) {
        return nullptr;
    }
    if (bytes_needed > nb->DataLength) {
        return nullptr;
    }
    const cursor start = data_at(nb);
    if (start.mdl == nullptr) {
        if (bytes_needed == 0) {
            return nullptr; // no data byte to point at
        }
        verifier::report(failure::nb_data_beyond_chain, api, nb,
                         "NB {}: DataLength {} but no data byte at CurrentMdl {} + {}",
                         static_cast<const void *>(nb), nb->DataLength,
                         static_cast<const void *>(nb->CurrentMdl), nb->CurrentMdlOffset);
        return nullptr;
    }
    std::uint8_t *direct = start.address();
    if (bytes_needed <= start.run() && aligned(direct, align_multiple, align_offset)) {
        return direct;
    }
    if (storage == nullptr || !aligned(storage, align_multiple, align_offset)) {
        return nullptr;
    }
    if (!gather(start, bytes_needed, static_cast<std::uint8_t *>(storage))) {
        verifier::report(failure::nb_data_beyond_chain, api, nb,
                         "NB {}: the MDL chain ends before DataLength {} bytes",
                         static_cast<const void *>(nb), nb->DataLength);
        return nullptr;
    }
    return storage;
}

// ---- Retreat / advance ----------------------------------------------------------------------

NDIS_STATUS nb_retreat(PNET_BUFFER nb, ULONG delta, ULONG backfill,
                       NET_BUFFER_ALLOCATE_MDL *allocate_mdl, const char *api) noexcept
{
    if (nb == nullptr) {
        report_null(api, "NetBuffer");
        return NDIS_STATUS_FAILURE;
    }
    if (delta == 0) {
        return NDIS_STATUS_SUCCESS;
    }
    if (!retreat_ok(nb, delta, api)) {
        return NDIS_STATUS_FAILURE;
    }
    if (nb->DataOffset >= delta) {
        nb->DataOffset -= delta;
        nb->DataLength += delta;
        nb_adjust_current(nb);
        return NDIS_STATUS_SUCCESS;
    }
    PMDL m = nullptr;
    const NDIS_STATUS status = allocate_retreat_mdl(nb, delta, backfill, allocate_mdl, api, &m);
    if (status == NDIS_STATUS_SUCCESS) {
        link_retreat_mdl(nb, m, delta);
    }
    return status;
}

void nb_advance(PNET_BUFFER nb, ULONG delta, bool free_mdl, NET_BUFFER_FREE_MDL *free_mdl_fn,
                const char *api) noexcept
{
    if (nb == nullptr) {
        report_null(api, "NetBuffer");
        return;
    }
    if (delta > nb->DataLength || delta > MAXULONG - nb->DataOffset) {
        verifier::report(failure::advance_beyond_data, api, nb,
                         "NB {}: DataOffsetDelta {} exceeds DataLength {} (DataOffset {})",
                         static_cast<const void *>(nb), delta, nb->DataLength, nb->DataOffset);
        return;
    }
    if (!geometry_ok(api, nb)) {
        return;
    }
    nb->DataOffset += delta;
    nb->DataLength -= delta;
    if (free_mdl) {
        free_unused_retreat_mdls(nb, free_mdl_fn, api);
    }
    nb_adjust_current(nb);
}

NDIS_STATUS nbl_retreat(PNET_BUFFER_LIST nbl, ULONG delta, ULONG backfill,
                        NET_BUFFER_ALLOCATE_MDL *allocate_mdl,
                        NET_BUFFER_FREE_MDL *free_mdl_fn) noexcept
{
    constexpr const char *api = "NdisRetreatNetBufferListDataStart";
    if (nbl == nullptr) {
        report_null(api, "NetBufferList");
        return NDIS_STATUS_FAILURE;
    }
    if (delta == 0) {
        return NDIS_STATUS_SUCCESS;
    }
    // Phase 1 checks every NB and gets every MDL the retreat needs, changing nothing; the MDLs
    // wait in NB order on a private list linked through their Next. A failure gives them back
    // and leaves every NB exactly as it was (DS-36), whatever retreat MDLs it already kept.
    PMDL pending = nullptr;
    PMDL *tail = &pending;
    NDIS_STATUS status = NDIS_STATUS_SUCCESS;
    for (PNET_BUFFER nb = nbl->FirstNetBuffer; nb != nullptr; nb = nb->Next) {
        if (!retreat_ok(nb, delta, api)) {
            status = NDIS_STATUS_FAILURE;
            break;
        }
        if (nb->DataOffset >= delta) {
            continue;
        }
        PMDL m = nullptr;
        status = allocate_retreat_mdl(nb, delta, backfill, allocate_mdl, api, &m);
        if (status != NDIS_STATUS_SUCCESS) {
            break;
        }
        m->Next = nullptr;
        *tail = m;
        tail = &m->Next;
    }
    if (status != NDIS_STATUS_SUCCESS) {
        while (pending != nullptr) {
            PMDL next = pending->Next;
            discard_retreat_mdl(pending, free_mdl_fn, api);
            pending = next;
        }
        return status;
    }
    // Phase 2 cannot fail.
    for (PNET_BUFFER nb = nbl->FirstNetBuffer; nb != nullptr; nb = nb->Next) {
        if (nb->DataOffset >= delta) {
            nb->DataOffset -= delta;
            nb->DataLength += delta;
            nb_adjust_current(nb);
        } else {
            PMDL m = pending;
            pending = m->Next;
            link_retreat_mdl(nb, m, delta);
        }
    }
    return NDIS_STATUS_SUCCESS;
}

void nbl_advance(PNET_BUFFER_LIST nbl, ULONG delta, bool free_mdl,
                 NET_BUFFER_FREE_MDL *free_mdl_fn) noexcept
{
    constexpr const char *api = "NdisAdvanceNetBufferListDataStart";
    if (nbl == nullptr) {
        report_null(api, "NetBufferList");
        return;
    }
    for (PNET_BUFFER nb = nbl->FirstNetBuffer; nb != nullptr; nb = nb->Next) {
        nb_advance(nb, delta, free_mdl, free_mdl_fn, api);
    }
}

// ---- NdisAdjustNetBufferCurrentMdl ----------------------------------------------------------

void nb_adjust_current_mdl(PNET_BUFFER nb) noexcept
{
    constexpr const char *api = "NdisAdjustNetBufferCurrentMdl";
    if (nb == nullptr) {
        report_null(api, "NetBuffer");
        return;
    }
    const mdl_position p = locate(nb->MdlChain, nb->DataOffset);
    if (p.mdl == nullptr && nb->DataOffset != 0) {
        verifier::report(failure::nb_data_beyond_chain, api, nb,
                         "NB {}: DataOffset {} lies beyond the MDL chain's {} bytes",
                         static_cast<const void *>(nb), nb->DataOffset,
                         mdl_chain_bytes(nb->MdlChain));
        return;
    }
    nb->CurrentMdl = p.mdl;
    nb->CurrentMdlOffset = p.offset;
}

// ---- NdisCopyFromNetBufferToNetBuffer -------------------------------------------------------

NDIS_STATUS nb_copy(PNET_BUFFER destination, ULONG destination_offset, ULONG bytes_to_copy,
                    PNET_BUFFER source, ULONG source_offset, PULONG bytes_copied) noexcept
{
    constexpr const char *api = "NdisCopyFromNetBufferToNetBuffer";
    if (bytes_copied != nullptr) {
        *bytes_copied = 0;
    }
    if (destination == nullptr || source == nullptr || bytes_copied == nullptr) {
        verifier::report(failure::copy_bad_parameters, api, destination,
                         "Destination {}, Source {}, BytesCopied {}: none may be NULL",
                         static_cast<const void *>(destination),
                         static_cast<const void *>(source),
                         static_cast<const void *>(bytes_copied));
        return NDIS_STATUS_FAILURE;
    }
    if (!geometry_ok(api, destination) || !geometry_ok(api, source)) {
        return NDIS_STATUS_FAILURE;
    }
    // Short when the source runs out of data or the destination of room (offsets beyond the
    // data copy nothing). Neither NB's fields change (DS-37).
    const ULONG source_left =
        source_offset < source->DataLength ? source->DataLength - source_offset : 0;
    const ULONG destination_left = destination_offset < destination->DataLength
                                       ? destination->DataLength - destination_offset
                                       : 0;
    const ULONG n = std::min({bytes_to_copy, source_left, destination_left});
    if (n == 0) {
        return NDIS_STATUS_SUCCESS;
    }
    cursor from = data_at(source, source_offset);
    cursor to = data_at(destination, destination_offset);
    ULONG done = 0;
    while (done < n) {
        if (from.mdl == nullptr || to.mdl == nullptr) {
            const NET_BUFFER *short_nb = from.mdl == nullptr ? source : destination;
            verifier::report(failure::nb_data_beyond_chain, api, short_nb,
                             "NB {}: the MDL chain ends before its DataLength {} bytes",
                             static_cast<const void *>(short_nb), short_nb->DataLength);
            *bytes_copied = done;
            return NDIS_STATUS_FAILURE;
        }
        const ULONG chunk = std::min({n - done, from.run(), to.run()});
        std::memmove(to.address(), from.address(), chunk); // the two may share memory
        from.skip(chunk);
        to.skip(chunk);
        done += chunk;
    }
    *bytes_copied = done;
    return NDIS_STATUS_SUCCESS;
}

// ---- NdisQueryNetBufferPhysicalCount --------------------------------------------------------

ULONG nb_physical_count(PNET_BUFFER nb) noexcept
{
    constexpr const char *api = "NdisQueryNetBufferPhysicalCount";
    if (nb == nullptr) {
        report_null(api, "NetBuffer");
        return 0;
    }
    if (!geometry_ok(api, nb)) {
        return 0;
    }
    ULONG pages = 0;
    ULONG left = nb->DataLength;
    for (cursor c = data_at(nb); left != 0 && c.mdl != nullptr;) {
        const ULONG chunk = std::min(left, c.run());
        pages += ADDRESS_AND_SIZE_TO_SPAN_PAGES(c.address(), chunk);
        left -= chunk;
        c.skip(chunk);
    }
    return pages;
}

} // namespace ndis::core
