// core/loopback.hpp — what NDIS does between the protocols and the miniport for receive
// filtering and loopback (SPEC §6, LB-01 … LB-07, LB-10):
//
//   * each binding's packet filter (OID_GEN_CURRENT_PACKET_FILTER) and multicast list
//     (OID_802_3_MULTICAST_LIST), kept per binding; the miniport is given the merge: the OR of
//     the bindings' filters and the union of their lists (bounded by MaxMulticastListSize,
//     else NDIS_STATUS_MULTICAST_FULL);
//   * per-binding receive filtering of indications (LB-05 rules, filter_accepts());
//   * software loopback of sends on 802.3 adapters whose miniport sets
//     NDIS_MAC_OPTION_NO_LOOPBACK (LB-04 … LB-07).
//
// Merging (OIDs). oid_request() hands these OIDs to filter_oid_prepare(), which answers a
// malformed request or a multicast query itself, or builds a runtime-owned request carrying the
// merged value (the binding's new value merged with every other binding's committed one) and
// gives THAT to MiniportOidRequest. When the miniport answers (at once or through
// NdisMOidRequestComplete), filter_oid_finish() copies the status and byte counts back into the
// protocol's request and, on success, records the binding's own value. NDIS_PACKET_TYPE_NO_LOCAL
// is NDIS's alone (it only concerns loopback) and never reaches the miniport. Limits: concurrent
// filter OIDs of two bindings of one adapter are not serialised (each merges what the others
// had committed when it started); when a binding closes, the miniport keeps the merged value
// until the next filter OID (the runtime's own view, used for receive filtering and loopback,
// forgets the binding at once).
//
// Loopback (LB-04). The docs (OID_GEN_MAC_OPTIONS) say NDIS_MAC_OPTION_NO_LOOPBACK means "the
// NIC has no internal loopback support so NDIS will manage loopbacks on behalf of this driver";
// a miniport without it loops back itself. So the runtime loops back only for miniports that
// set the option, on NdisMedium802_3 (802.5 is not supported by OpenNDIS), and only when
//   (the sender passed NDIS_SEND_FLAGS_CHECK_FOR_LOOPBACK) or (some binding has PROMISCUOUS
//   without NO_LOCAL, or ALL_LOCAL, and the adapter has more than one binding).
// Then each running binding gets a copy of every NB its own filter accepts (which implies the
// adapter's merged filter accepts it), except: the sender only with CHECK_FOR_LOOPBACK
// (LB-01, LB-02, LB-06, LB-10); another binding only if it did not set NO_LOCAL (LB-06).
// Copies are made before the chain goes to the miniport (which may complete it inside the
// call, after which the protocol owns it again), from runtime pools with the data copied, flagged
// NDIS_NBL_FLAGS_IS_LOOPBACK_PACKET (LB-07), SourceHandle = the adapter, and indicated through
// ProtocolReceiveNetBufferLists with NDIS_RECEIVE_FLAGS_RESOURCES: the protocol copies what it
// wants and the runtime frees the copies when the call returns, so a looped frame can never be
// held, leaked or returned to the wrong owner. The sender's chain goes to the miniport untouched.
//
// Hot path: a send with nothing to loop back costs a test of the send flags and one relaxed
// load of adapter::filter.local_all (kept up to date when filters change). Matching reads a
// binding's packet filter (atomic) and its multicast list (a seqlock over atomics): no lock,
// no allocation, no system call. Copies come from slab pools (frames up to
// kLoopbackPoolDataSize bytes; larger ones get a runtime MDL with its own buffer).
#pragma once

#include <ndis.h>

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <mutex>

namespace ndis::core {

class adapter;
class binding;

inline constexpr std::size_t kMacLength = 6;
// Most addresses one binding's multicast list holds (the adapter's MaxMulticastListSize bounds
// the merged list further).
inline constexpr std::size_t kMaxBindingMulticast = 64;
// Data size of the pool loopback copies of frames come from.
inline constexpr ULONG kLoopbackPoolDataSize = 2048;

// Filter bits NDIS keeps for itself: they never reach the miniport.
inline constexpr ULONG kNdisOnlyFilterBits = NDIS_PACKET_TYPE_NO_LOCAL;

// A binding's multicast list: written by OID completions (rare, under adapter_filter::lock),
// read on the receive and loopback paths without a lock (a seqlock over atomics).
class multicast_list {
public:
    bool contains(const UCHAR *mac) const noexcept;
    // Copies the list out (consistent snapshot); returns the number of addresses.
    std::size_t snapshot(UCHAR *out, std::size_t max) const noexcept;
    // Writers are serialised by the caller.
    void assign(const UCHAR *macs, std::size_t count) noexcept;

private:
    std::atomic<std::uint32_t> seq_{0};
    std::atomic<std::uint32_t> count_{0};
    std::array<std::atomic<std::uint64_t>, kMaxBindingMulticast> addr_{};
};

// Per binding (binding::filter). The packet filter itself is binding::packet_filter.
struct binding_filter {
    multicast_list multicast;
};

// Per adapter (adapter::filter).
struct adapter_filter {
    // Serialises the bookkeeping of filter OIDs (merge, commit, close); never held across a call
    // into a driver, never taken on the data path.
    std::mutex lock;
    // Bindings whose filter has PROMISCUOUS without NO_LOCAL, or ALL_LOCAL (LB-04 case 2.1/2.2).
    std::atomic<std::uint32_t> local_all{0};
};

// ---- matching (LB-05) ------------------------------------------------------------------------

// Does a packet filter accept a frame with destination `dest`? `station` is the adapter's
// current MAC address, `list` the multicast list the MULTICAST bit refers to (may be null).
// DIRECTED: dest == station; MULTICAST: group address (not broadcast) in the list;
// ALL_MULTICAST: any group address; BROADCAST: ff-ff-ff-ff-ff-ff; PROMISCUOUS or ALL_LOCAL:
// everything. A filter of 0 accepts nothing.
bool filter_accepts(ULONG filter, const UCHAR *dest, const UCHAR *station,
                    const multicast_list *list) noexcept;

// The same for a binding (its filter, list and adapter) and one NB's destination address.
// An NB shorter than a MAC address is accepted only by PROMISCUOUS / ALL_LOCAL.
bool binding_accepts(binding *b, PNET_BUFFER nb) noexcept;
// True when the binding's filter accepts every frame without looking at it.
bool binding_accepts_all(const binding *b) noexcept;
// Which of targets[0 .. k-1] (k <= 64) accept an indicated NBL, by its first NB's destination
// (bit i = targets[i]). Reads the frame at most once, and not at all for accept-all filters.
std::uint64_t accept_mask(binding *const *targets, std::size_t k, PNET_BUFFER_LIST nbl) noexcept;

// ---- OIDs ----------------------------------------------------------------------------------------

// The OIDs filter_oid_prepare() takes over.
bool is_filter_oid(const NDIS_OID_REQUEST *request) noexcept;

// For a filter OID from binding `b`: null when the runtime answered it (*status says how),
// else the runtime-owned request to give the miniport instead of `request`.
PNDIS_OID_REQUEST filter_oid_prepare(binding *b, PNDIS_OID_REQUEST request,
                                     NDIS_STATUS *status);
// The protocol's request behind a runtime-owned one (null for any other request).
PNDIS_OID_REQUEST filter_oid_outer(PNDIS_OID_REQUEST inner) noexcept;
// The miniport answered `inner` (not PENDING): copies the result into the protocol's request,
// records the binding's value on success, frees `inner`; returns the status for the protocol.
NDIS_STATUS filter_oid_finish(binding *b, PNDIS_OID_REQUEST inner, NDIS_STATUS status);

// The binding is leaving its adapter (NdisCloseAdapterEx): it no longer counts for loopback.
void filter_binding_closed(binding *b) noexcept;

// ---- loopback (send path) ------------------------------------------------------------------------

// May this send need loopback at all? The one check on the send hot path (the medium, the
// miniport's NDIS_MAC_OPTION_NO_LOOPBACK and the binding count are checked by loopback_send).
inline bool loopback_possible(const adapter_filter &f, ULONG send_flags) noexcept
{
    return (send_flags & NDIS_SEND_FLAGS_CHECK_FOR_LOOPBACK) != 0 ||
           f.local_all.load(std::memory_order_relaxed) != 0;
}
// Indicates copies of the chain's frames to the bindings the LB rules select. Called before the
// chain goes to the miniport; reads the chain, never changes it.
void loopback_send(binding *sender, PNET_BUFFER_LIST chain, NDIS_PORT_NUMBER port,
                   ULONG send_flags);

} // namespace ndis::core
