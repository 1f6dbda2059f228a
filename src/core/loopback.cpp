// core/loopback.cpp — per-binding receive filters, filter/multicast OID merging and software
// loopback (see loopback.hpp for the rules and the decisions).
#include "core/loopback.hpp"

#include "core/nb_ops.hpp"
#include "core/object.hpp"
#include "core/pools.hpp"
#include "core/stack.hpp"
#include "kernel/irql.hpp"

#include <ndis.h>

#include <algorithm>
#include <cstring>
#include <memory>
#include <vector>

namespace ndis::core {

namespace {

constexpr ULONG kAcceptAll = NDIS_PACKET_TYPE_PROMISCUOUS | NDIS_PACKET_TYPE_ALL_LOCAL;
constexpr std::size_t kMaxTargets = 64;
constexpr const char *kLoopbackApi = "NdisSendNetBufferLists (loopback)";

std::uint64_t pack_mac(const UCHAR *mac) noexcept
{
    std::uint64_t v = 0;
    std::memcpy(&v, mac, kMacLength);
    return v;
}

void unpack_mac(std::uint64_t v, UCHAR *mac) noexcept
{
    std::memcpy(mac, &v, kMacLength);
}

// LB-04 case 2.1 / 2.2: a binding whose filter makes NDIS loop back other bindings' sends.
bool is_local_all(ULONG filter) noexcept
{
    return (filter & NDIS_PACKET_TYPE_ALL_LOCAL) != 0 ||
           ((filter & NDIS_PACKET_TYPE_PROMISCUOUS) != 0 &&
            (filter & NDIS_PACKET_TYPE_NO_LOCAL) == 0);
}

// The destination address of an NB (its first six bytes), or null when it is shorter.
const UCHAR *destination_of(PNET_BUFFER nb, UCHAR *storage) noexcept
{
    if (nb == nullptr || nb->DataLength < kMacLength) {
        return nullptr;
    }
    return static_cast<const UCHAR *>(nb_get_data_buffer(nb, kMacLength, storage, 1, 0));
}

// The pool loopback copies of frames up to kLoopbackPoolDataSize bytes come from (runtime
// owned, never destroyed, not counted as a live pool; its NBs are counted like any other).
nb_pool *loopback_data_pool()
{
    static nb_pool *p = [] {
        NET_BUFFER_POOL_PARAMETERS params{};
        params.Header = {NDIS_OBJECT_TYPE_DEFAULT, NET_BUFFER_POOL_PARAMETERS_REVISION_1,
                         NDIS_SIZEOF_NET_BUFFER_POOL_PARAMETERS_REVISION_1};
        params.PoolTag = 0x624C524E; // "NRLb"
        params.DataSize = kLoopbackPoolDataSize;
        return nb_pool::create(nullptr, &params, true);
    }();
    return p;
}

} // namespace

// ================================ multicast lists ===============================================

bool multicast_list::contains(const UCHAR *mac) const noexcept
{
    const std::uint64_t want = pack_mac(mac);
    for (;;) {
        const std::uint32_t s1 = seq_.load(std::memory_order_acquire);
        if ((s1 & 1u) != 0) {
            continue; // a writer is in the middle of an update
        }
        bool found = false;
        const std::uint32_t n = std::min<std::uint32_t>(count_.load(std::memory_order_acquire),
                                                        kMaxBindingMulticast);
        for (std::uint32_t i = 0; i < n && !found; ++i) {
            found = addr_[i].load(std::memory_order_acquire) == want;
        }
        if (seq_.load(std::memory_order_relaxed) == s1) {
            return found;
        }
    }
}

std::size_t multicast_list::snapshot(UCHAR *out, std::size_t max) const noexcept
{
    for (;;) {
        const std::uint32_t s1 = seq_.load(std::memory_order_acquire);
        if ((s1 & 1u) != 0) {
            continue;
        }
        const std::size_t n = std::min<std::size_t>(
            std::min<std::size_t>(count_.load(std::memory_order_acquire), kMaxBindingMulticast),
            max);
        for (std::size_t i = 0; i < n; ++i) {
            unpack_mac(addr_[i].load(std::memory_order_acquire), out + i * kMacLength);
        }
        if (seq_.load(std::memory_order_relaxed) == s1) {
            return n;
        }
    }
}

void multicast_list::assign(const UCHAR *macs, std::size_t count) noexcept
{
    count = std::min(count, kMaxBindingMulticast);
    const std::uint32_t s = seq_.load(std::memory_order_relaxed);
    // Seqlock without fences (TSan does not model them): the data is stored with release and
    // loaded with acquire, so a reader that sees any new value also sees the odd sequence.
    seq_.store(s + 1, std::memory_order_relaxed);
    for (std::size_t i = 0; i < count; ++i) {
        addr_[i].store(pack_mac(macs + i * kMacLength), std::memory_order_release);
    }
    count_.store(static_cast<std::uint32_t>(count), std::memory_order_release);
    seq_.store(s + 2, std::memory_order_release);
}

// ================================ matching (LB-05) ===============================================

bool filter_accepts(ULONG filter, const UCHAR *dest, const UCHAR *station,
                    const multicast_list *list) noexcept
{
    if ((filter & kAcceptAll) != 0) {
        return true;
    }
    if (dest == nullptr) {
        return false;
    }
    static constexpr UCHAR kBroadcast[kMacLength] = {0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF};
    if (std::memcmp(dest, kBroadcast, kMacLength) == 0) {
        return (filter & NDIS_PACKET_TYPE_BROADCAST) != 0;
    }
    if ((dest[0] & 0x01) != 0) { // group address
        if ((filter & NDIS_PACKET_TYPE_ALL_MULTICAST) != 0) {
            return true;
        }
        return (filter & NDIS_PACKET_TYPE_MULTICAST) != 0 && list != nullptr &&
               list->contains(dest);
    }
    return (filter & NDIS_PACKET_TYPE_DIRECTED) != 0 && station != nullptr &&
           std::memcmp(dest, station, kMacLength) == 0;
}

bool binding_accepts_all(const binding *b) noexcept
{
    return (b->packet_filter.load(std::memory_order_relaxed) & kAcceptAll) != 0;
}

bool binding_accepts(binding *b, PNET_BUFFER nb) noexcept
{
    const ULONG filter = b->packet_filter.load(std::memory_order_relaxed);
    if (filter == 0) {
        return false;
    }
    if ((filter & kAcceptAll) != 0) {
        return true;
    }
    UCHAR storage[kMacLength];
    return filter_accepts(filter, destination_of(nb, storage), b->target->current_mac,
                          &b->filter.multicast);
}

std::uint64_t accept_mask(binding *const *targets, std::size_t k, PNET_BUFFER_LIST nbl) noexcept
{
    std::uint64_t mask = 0;
    UCHAR storage[kMacLength];
    const UCHAR *dest = nullptr;
    bool read = false;
    for (std::size_t i = 0; i < k && i < 64; ++i) {
        const ULONG filter = targets[i]->packet_filter.load(std::memory_order_relaxed);
        if (filter == 0) {
            continue;
        }
        if ((filter & kAcceptAll) == 0) {
            if (!read) {
                dest = destination_of(nbl->FirstNetBuffer, storage);
                read = true;
            }
            if (!filter_accepts(filter, dest, targets[i]->target->current_mac,
                                &targets[i]->filter.multicast)) {
                continue;
            }
        }
        mask |= std::uint64_t{1} << i;
    }
    return mask;
}

// ================================ OIDs ===========================================================

namespace {

constexpr std::uint64_t kFilterRequestMagic = 0x714F72746C46424CULL; // "LBFltrOq"
// Byte offsets in NdisReserved (stack.hpp's oid_slot).
constexpr std::size_t kMagicSlot = oid_slot::filter_magic * sizeof(PVOID);
constexpr std::size_t kWrapperSlot = oid_slot::filter_wrapper * sizeof(PVOID);

// The runtime-owned request a filter OID becomes on its way to the miniport.
struct filter_request {
    NDIS_OID_REQUEST inner{};
    PNDIS_OID_REQUEST outer = nullptr;
    NDIS_OID oid = 0;
    ULONG filter = 0;        // OID_GEN_CURRENT_PACKET_FILTER: the binding's new filter
    ULONG merged_filter = 0; //   and what the miniport is given
    std::vector<UCHAR> list;   // OID_802_3_MULTICAST_LIST: the binding's new list
    std::vector<UCHAR> merged; //   and the union the miniport is given
};

NDIS_OID oid_of(const NDIS_OID_REQUEST *r) noexcept
{
    return r->DATA.QUERY_INFORMATION.Oid;
}

filter_request *wrapper_of(PNDIS_OID_REQUEST inner) noexcept
{
    std::uint64_t magic = 0;
    std::memcpy(&magic, inner->NdisReserved + kMagicSlot, sizeof magic);
    if (magic != kFilterRequestMagic) {
        return nullptr;
    }
    filter_request *w = nullptr;
    std::memcpy(&w, inner->NdisReserved + kWrapperSlot, sizeof w);
    return w != nullptr && &w->inner == inner ? w : nullptr;
}

// The other bindings of `b`'s adapter (any state but closed). Caller holds filter.lock.
template <typename Fn> void for_each_other_binding(binding *b, Fn &&fn)
{
    adapter *a = b->target;
    std::shared_lock<std::shared_mutex> g(a->bindings_lock);
    for (binding *o : a->bindings) {
        if (o != b) {
            fn(o);
        }
    }
}

bool add_unique(std::vector<UCHAR> &set, const UCHAR *mac)
{
    for (std::size_t i = 0; i < set.size(); i += kMacLength) {
        if (std::memcmp(set.data() + i, mac, kMacLength) == 0) {
            return false;
        }
    }
    set.insert(set.end(), mac, mac + kMacLength);
    return true;
}

NDIS_STATUS answer_multicast_query(binding *b, PNDIS_OID_REQUEST r)
{
    auto &q = r->DATA.QUERY_INFORMATION;
    std::array<UCHAR, kMaxBindingMulticast * kMacLength> list{};
    const std::size_t n = b->filter.multicast.snapshot(list.data(), kMaxBindingMulticast);
    const auto need = static_cast<ULONG>(n * kMacLength);
    if (q.InformationBufferLength < need) {
        q.BytesWritten = 0;
        q.BytesNeeded = need;
        return NDIS_STATUS_BUFFER_TOO_SHORT;
    }
    if (need != 0) {
        std::memcpy(q.InformationBuffer, list.data(), need);
    }
    q.BytesWritten = need;
    q.BytesNeeded = 0;
    return NDIS_STATUS_SUCCESS;
}

} // namespace

bool is_filter_oid(const NDIS_OID_REQUEST *r) noexcept
{
    const NDIS_OID oid = oid_of(r);
    if (oid == OID_802_3_MULTICAST_LIST) {
        return r->RequestType == NdisRequestSetInformation ||
               r->RequestType == NdisRequestQueryInformation;
    }
    return oid == OID_GEN_CURRENT_PACKET_FILTER && r->RequestType == NdisRequestSetInformation;
}

PNDIS_OID_REQUEST filter_oid_prepare(binding *b, PNDIS_OID_REQUEST r, NDIS_STATUS *status)
{
    const NDIS_OID oid = oid_of(r);
    if (r->RequestType == NdisRequestQueryInformation) { // OID_802_3_MULTICAST_LIST
        *status = answer_multicast_query(b, r);
        return nullptr;
    }
    auto &set = r->DATA.SET_INFORMATION;
    adapter *a = b->target;
    std::unique_ptr<filter_request> w;
    try {
        w = std::make_unique<filter_request>();
    } catch (...) {
        *status = NDIS_STATUS_RESOURCES;
        return nullptr;
    }
    w->outer = r;
    w->oid = oid;
    std::memcpy(&w->inner, r, sizeof w->inner);
    std::memset(w->inner.NdisReserved, 0, sizeof w->inner.NdisReserved);
    std::memset(w->inner.MiniportReserved, 0, sizeof w->inner.MiniportReserved);
    auto &down = w->inner.DATA.SET_INFORMATION;
    down.BytesRead = 0;
    down.BytesNeeded = 0;

    if (oid == OID_GEN_CURRENT_PACKET_FILTER) {
        if (set.InformationBuffer == nullptr || set.InformationBufferLength < sizeof(ULONG)) {
            set.BytesRead = 0;
            set.BytesNeeded = sizeof(ULONG);
            *status = NDIS_STATUS_INVALID_LENGTH;
            return nullptr;
        }
        std::memcpy(&w->filter, set.InformationBuffer, sizeof(ULONG));
        ULONG merged = w->filter;
        {
            std::lock_guard<std::mutex> g(a->filter.lock);
            for_each_other_binding(b, [&](binding *o) {
                merged |= o->packet_filter.load(std::memory_order_relaxed);
            });
        }
        w->merged_filter = merged & ~kNdisOnlyFilterBits;
        down.InformationBuffer = &w->merged_filter;
        down.InformationBufferLength = sizeof(ULONG);
    } else { // OID_802_3_MULTICAST_LIST
        const ULONG length = set.InformationBufferLength;
        if (length % kMacLength != 0 || (length != 0 && set.InformationBuffer == nullptr)) {
            set.BytesRead = 0;
            set.BytesNeeded = static_cast<ULONG>((length / kMacLength + 1) * kMacLength);
            *status = NDIS_STATUS_INVALID_LENGTH;
            return nullptr;
        }
        const std::size_t count = length / kMacLength;
        const auto *macs = static_cast<const UCHAR *>(set.InformationBuffer);
        try {
            // The binding's list as given; the union without duplicates.
            w->list.assign(macs, macs + count * kMacLength);
            for (std::size_t i = 0; i < count; ++i) {
                add_unique(w->merged, macs + i * kMacLength);
            }
            std::lock_guard<std::mutex> g(a->filter.lock);
            for_each_other_binding(b, [&](binding *o) {
                std::array<UCHAR, kMaxBindingMulticast * kMacLength> other{};
                const std::size_t n = o->filter.multicast.snapshot(other.data(),
                                                                   kMaxBindingMulticast);
                for (std::size_t i = 0; i < n; ++i) {
                    add_unique(w->merged, other.data() + i * kMacLength);
                }
            });
        } catch (...) {
            *status = NDIS_STATUS_RESOURCES;
            return nullptr;
        }
        const std::size_t limit = std::min<std::size_t>(a->max_multicast, kMaxBindingMulticast);
        if (count > limit || w->merged.size() / kMacLength > a->max_multicast) {
            // The union would not fit the adapter's list: nothing changes (NDIS_STATUS_MULTICAST_FULL).
            set.BytesRead = 0;
            set.BytesNeeded = static_cast<ULONG>(limit * kMacLength);
            *status = NDIS_STATUS_MULTICAST_FULL;
            return nullptr;
        }
        down.InformationBuffer = w->merged.empty() ? nullptr : w->merged.data();
        down.InformationBufferLength = static_cast<ULONG>(w->merged.size());
    }
    const std::uint64_t magic = kFilterRequestMagic;
    filter_request *raw = w.release();
    std::memcpy(raw->inner.NdisReserved + kMagicSlot, &magic, sizeof magic);
    std::memcpy(raw->inner.NdisReserved + kWrapperSlot, &raw, sizeof raw);
    return &raw->inner;
}

PNDIS_OID_REQUEST filter_oid_outer(PNDIS_OID_REQUEST inner) noexcept
{
    filter_request *w = inner != nullptr ? wrapper_of(inner) : nullptr;
    return w != nullptr ? w->outer : nullptr;
}

NDIS_STATUS filter_oid_finish(binding *b, PNDIS_OID_REQUEST inner, NDIS_STATUS status)
{
    std::unique_ptr<filter_request> w(wrapper_of(inner));
    auto &up = w->outer->DATA.SET_INFORMATION;
    const auto &down = w->inner.DATA.SET_INFORMATION;
    if (status == NDIS_STATUS_SUCCESS) {
        up.BytesRead = up.InformationBufferLength; // the protocol's own value was taken whole
        up.BytesNeeded = 0;
        adapter *a = b->target;
        std::lock_guard<std::mutex> g(a->filter.lock);
        if (w->oid == OID_GEN_CURRENT_PACKET_FILTER) {
            const ULONG old = b->packet_filter.exchange(w->filter, std::memory_order_relaxed);
            if (is_local_all(old) != is_local_all(w->filter)) {
                if (is_local_all(w->filter)) {
                    a->filter.local_all.fetch_add(1, std::memory_order_relaxed);
                } else {
                    a->filter.local_all.fetch_sub(1, std::memory_order_relaxed);
                }
            }
        } else {
            b->filter.multicast.assign(w->list.data(), w->list.size() / kMacLength);
        }
    } else {
        up.BytesRead = 0;
        up.BytesNeeded = down.BytesNeeded;
    }
    return status; // w (and the request the miniport saw) is freed here
}

void filter_binding_closed(binding *b) noexcept
{
    adapter *a = b->target;
    std::lock_guard<std::mutex> g(a->filter.lock);
    const ULONG old = b->packet_filter.exchange(0, std::memory_order_relaxed);
    if (is_local_all(old)) {
        a->filter.local_all.fetch_sub(1, std::memory_order_relaxed);
    }
    b->filter.multicast.assign(nullptr, 0);
}

// ================================ loopback =======================================================

namespace {

void free_copy_nb(PNET_BUFFER nb) noexcept
{
    object_header *h = probe_header(nb, object_kind::nb);
    if (h == nullptr) {
        return;
    }
    if (nb->NdisPoolHandle != loopback_data_pool()->handle()) {
        mdl_free(nb->MdlChain, kLoopbackApi); // a large frame's own MDL and buffer
        nb->MdlChain = nullptr;
    }
    nb_pool::free(h, nb, kLoopbackApi);
}

void free_copies(PNET_BUFFER_LIST chain) noexcept
{
    for (PNET_BUFFER_LIST n = chain, next; n != nullptr; n = next) {
        next = n->Next;
        for (PNET_BUFFER nb = n->FirstNetBuffer, nb_next; nb != nullptr; nb = nb_next) {
            nb_next = nb->Next;
            free_copy_nb(nb);
        }
        n->FirstNetBuffer = nullptr;
        if (object_header *h = probe_header(n, object_kind::nbl)) {
            nbl_pool::free(h, n, kLoopbackApi);
        }
    }
}

// A copy of one frame (the NB's used data), or null when out of memory.
PNET_BUFFER copy_nb(PNET_BUFFER source) noexcept
{
    const ULONG length = source->DataLength;
    PNET_BUFFER nb = nullptr;
    if (length <= kLoopbackPoolDataSize) {
        nb = loopback_data_pool()->allocate_with_data();
        if (nb == nullptr) {
            return nullptr;
        }
        nb->DataLength = length;
    } else {
        PMDL mdl = mdl_allocate_with_buffer(length);
        if (mdl == nullptr) {
            return nullptr;
        }
        nb = nb_pool::runtime_pool()->allocate(mdl, 0, length);
        if (nb == nullptr) {
            mdl_free(mdl, kLoopbackApi);
            return nullptr;
        }
    }
    ULONG copied = 0;
    if (length != 0 && (nb_copy(nb, 0, length, source, 0, &copied) != NDIS_STATUS_SUCCESS ||
                        copied != length)) {
        free_copy_nb(nb);
        return nullptr;
    }
    return nb;
}

// A loopback copy of the NBs of `source` that `target` accepts, or null (none, or no memory:
// a frame that cannot be copied is not looped back, as a NIC drops what it has no buffer for).
PNET_BUFFER_LIST copy_for(adapter *a, binding *target, PNET_BUFFER_LIST source) noexcept
{
    PNET_BUFFER_LIST copy = nullptr;
    PNET_BUFFER *tail = nullptr;
    for (PNET_BUFFER nb = source->FirstNetBuffer; nb != nullptr; nb = nb->Next) {
        if (!binding_accepts(target, nb)) {
            continue;
        }
        if (copy == nullptr) {
            copy = nbl_pool::runtime_bare()->allocate(0, 0);
            if (copy == nullptr) {
                return nullptr;
            }
            tail = &copy->FirstNetBuffer;
        }
        PNET_BUFFER c = copy_nb(nb);
        if (c == nullptr) {
            continue;
        }
        *tail = c;
        tail = &c->Next;
    }
    if (copy != nullptr && copy->FirstNetBuffer == nullptr) {
        free_copies(copy);
        return nullptr;
    }
    if (copy != nullptr) {
        copy->SourceHandle = a->ndis_handle();
        copy->NblFlags |= NDIS_NBL_FLAGS_IS_LOOPBACK_PACKET; // LB-07
        copy->Status = NDIS_STATUS_SUCCESS;
    }
    return copy;
}

} // namespace

void loopback_send(binding *sender, PNET_BUFFER_LIST chain, NDIS_PORT_NUMBER port,
                   ULONG send_flags)
{
    adapter *a = sender->target;
    // LB-04 condition 1, and the NO_LOOPBACK decision (loopback.hpp).
    if (a->medium != NdisMedium802_3 || (a->mac_options & NDIS_MAC_OPTION_NO_LOOPBACK) == 0) {
        return;
    }
    const bool check = (send_flags & NDIS_SEND_FLAGS_CHECK_FOR_LOOPBACK) != 0;
    std::array<binding *, kMaxTargets> targets;
    std::size_t k = 0;
    bool local_all = false;
    std::size_t open = 0;
    {
        std::shared_lock<std::shared_mutex> guard(a->bindings_lock);
        for (binding *b : a->bindings) {
            ++open;
            const ULONG filter = b->packet_filter.load(std::memory_order_relaxed);
            local_all = local_all || is_local_all(filter);
            if (k == targets.size() ||
                b->state.load(std::memory_order_acquire) != binding_state::running) {
                continue; // a paused binding gets nothing (PS-20)
            }
            if (b == sender ? !check : (filter & NDIS_PACKET_TYPE_NO_LOCAL) != 0) {
                continue; // LB-01, LB-06, LB-10
            }
            b->upcalls_in_flight.fetch_add(1, std::memory_order_acq_rel);
            targets[k++] = b;
        }
    }
    // LB-04 condition 2 (LB-03: the flag decides for everyone only together with the others).
    const bool loop = check || (local_all && open > 1);
    const ULONG up_flags = NDIS_RECEIVE_FLAGS_RESOURCES |
                           (kernel::at_dispatch() ? NDIS_RECEIVE_FLAGS_DISPATCH_LEVEL : 0);
    for (std::size_t i = 0; i < k; ++i) {
        binding *t = targets[i];
        if (loop) {
            NBL_QUEUE q;
            NdisInitializeNblQueue(&q);
            ULONG count = 0;
            for (PNET_BUFFER_LIST n = chain; n != nullptr; n = n->Next) {
                if (PNET_BUFFER_LIST c = copy_for(a, t, n)) {
                    NdisAppendSingleNblToNblQueue(&q, c);
                    ++count;
                }
            }
            if (PNET_BUFFER_LIST copies = NdisPopAllFromNblQueue(&q)) {
                t->received.fetch_add(count, std::memory_order_relaxed);
                {
                    kernel::driver_scope scope(t->protocol->identity);
                    t->protocol->chars.ReceiveNetBufferListsHandler(t->context, copies, port,
                                                                    count, up_flags);
                }
                free_copies(copies); // RESOURCES: ours again as the call returns
            }
        }
        t->upcalls_in_flight.fetch_sub(1, std::memory_order_acq_rel);
    }
}

} // namespace ndis::core
