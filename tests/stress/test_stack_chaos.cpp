// test_stack_chaos.cpp — every NBL completed exactly once while the stack is paused, restarted,
// reset, power-cycled, unbound and rebound under load (issue 4; SPEC PS-13, PS-14, PS-19, PS-22,
// ST-04, ST-05, ST-14 … ST-20, CAN-05, CAN-11, MS-07, MS-08).
//
// A stress protocol (written here against <ndis.h>, like any driver) binds to every adapter of a
// stack built by the host from a topology: the built-in `null` miniport (DPC-deferred completions
// in batches), a `loopback` pair (each send indicated on the other adapter) and a `null` adapter
// behind the `faulty` decorator (failed statuses, delays, reordering, merged/split completions,
// completions inside the send call, pended pause/restart/reset). Two sender threads send chains
// of NBLs (1 … 3 NBs of 1 … 2 MDLs, some tagged with a cancel id) through every binding while a
// control thread, driven by one seeded PRNG, pauses and restarts adapters and bindings, resets
// adapters, cancels, power-cycles, and unbinds and rebinds bindings.
//
// The protocol checks, for every NBL: it is completed exactly once (an atomic state per NBL goes
// in-flight → free; anything else is an error), to the binding that sent it, with its NB list and
// MDLs exactly as built (PS-14), with a status the path allows (SUCCESS, PAUSED, RESET_IN_PROGRESS,
// SEND_ABORTED, LOW_POWER_STATE, and on the faulty adapter the failure statuses MS-08 allows). An
// unbind waits until every NBL of the binding is back (PS-22) before its pool goes. At the end the
// totals must match (sent == completed), no error was seen, and the host's teardown report is
// clean (nothing left behind, no verifier report).
//
// Environment: OPENNDIS_STRESS_NBLS (default 1,000,000; the sanitizer presets set fewer),
// OPENNDIS_STRESS_SECONDS (long mode: run for this long instead of a count), OPENNDIS_STRESS_SEED
// (printed; fixes the control thread's and the decorator's choices).
#include "openndis_test.hpp"

#include <ndis.h>
#include <openndis/host.hpp>
#include <openndis/runtime.h>

#include <gtest/gtest.h>

#include <array>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <random>
#include <string>
#include <thread>
#include <vector>

namespace {

using namespace std::chrono_literals;

constexpr ULONG kTag = 'sChS';
constexpr ULONG kSlots = 192;     // NBLs per binding
constexpr ULONG kFrameBytes = 64; // bytes per MDL

std::uint64_t env_u64(const char *name, std::uint64_t fallback)
{
    const char *v = std::getenv(name);
    return v != nullptr && *v != 0 ? std::strtoull(v, nullptr, 10) : fallback;
}

enum : LONG { kFree = 0, kInFlight = 1 };

// One preallocated NBL and what it must look like when it comes back.
struct Slot {
    PNET_BUFFER_LIST nbl = nullptr;
    std::array<PNET_BUFFER, 3> nbs{};
    std::array<std::array<PMDL, 2>, 3> mdls{};
    std::array<PUCHAR, 6> buffers{};
    ULONG nb_count = 0, mdls_per_nb = 0;
    std::atomic<LONG> state{kFree};
};

struct ChaosBinding;

// Protocol-wide state (one instance per test).
struct Chaos {
    NDIS_HANDLE protocol = nullptr;
    std::mutex lock; // the binding list
    std::vector<ChaosBinding *> bindings;
    std::atomic<std::uint64_t> sent{0}, completed{0}, received{0}, errors{0};
    std::array<std::atomic<std::uint64_t>, 8> by_status{};
    std::atomic<std::uint64_t> unbinds{0}, binds{0};
    std::mutex error_lock;
    std::string first_error;
    UCHAR partial_cancel_id = 0;

    void error(const std::string &what)
    {
        if (errors.fetch_add(1) == 0) {
            std::lock_guard<std::mutex> g(error_lock);
            first_error = what;
        }
    }
};
Chaos *g_chaos = nullptr;

enum StatusIndex { kSuccess, kPaused, kReset, kAborted, kLowPower, kFaulty, kOther };

struct ChaosBinding {
    NDIS_HANDLE handle = nullptr;
    std::string adapter;
    bool faulty = false;
    NDIS_HANDLE nbl_pool = nullptr, nb_pool = nullptr;
    std::vector<Slot> slots{kSlots};
    NDIS_SPIN_LOCK free_lock;
    std::vector<ULONG> free_list;
    std::atomic<int> senders{0};
    std::atomic<bool> closing{false};
    std::atomic<std::int64_t> in_flight{0};
    NDIS_EVENT close_done;
    NDIS_EVENT oid_done;
};

bool allowed(const ChaosBinding *b, NDIS_STATUS s, StatusIndex *index)
{
    switch (s) {
    case NDIS_STATUS_SUCCESS: *index = kSuccess; return true;
    case NDIS_STATUS_PAUSED: *index = kPaused; return true;
    case NDIS_STATUS_RESET_IN_PROGRESS: *index = kReset; return true;
    case NDIS_STATUS_SEND_ABORTED: *index = kAborted; return true;
    case NDIS_STATUS_LOW_POWER_STATE: *index = kLowPower; return true;
    case NDIS_STATUS_FAILURE:
        // The loopback miniport fails a send whose peer is paused or powered down.
        *index = kFaulty;
        return b->faulty || b->adapter.rfind("l", 0) == 0;
    case NDIS_STATUS_INVALID_LENGTH:
    case NDIS_STATUS_RESOURCES:
        *index = kFaulty;
        return b->faulty; // only the decorator fails sends this way
    default: *index = kOther; return false;
    }
}

void free_slots(ChaosBinding *b)
{
    for (Slot &s : b->slots) {
        if (s.nbl == nullptr) {
            continue;
        }
        for (ULONG i = 0; i < s.nb_count; ++i) {
            for (ULONG m = 0; m < s.mdls_per_nb; ++m) {
                NdisFreeMdl(s.mdls[i][m]);
            }
            if (i > 0) {
                NdisFreeNetBuffer(s.nbs[i]);
            }
        }
        s.nbl->FirstNetBuffer = s.nbs[0];
        s.nbs[0]->Next = nullptr;
        s.nbs[0]->MdlChain = nullptr;
        s.nbs[0]->CurrentMdl = nullptr;
        NdisFreeNetBufferList(s.nbl);
        for (PUCHAR p : s.buffers) {
            if (p != nullptr) {
                NdisFreeMemory(p, 0, 0);
            }
        }
        s.nbl = nullptr;
    }
    if (b->nbl_pool != nullptr) {
        NdisFreeNetBufferListPool(b->nbl_pool);
    }
    if (b->nb_pool != nullptr) {
        NdisFreeNetBufferPool(b->nb_pool);
    }
}

NDIS_STATUS build_slots(ChaosBinding *b, std::uint32_t seed)
{
    NET_BUFFER_LIST_POOL_PARAMETERS lp{};
    lp.Header.Type = NDIS_OBJECT_TYPE_DEFAULT;
    lp.Header.Revision = NET_BUFFER_LIST_POOL_PARAMETERS_REVISION_1;
    lp.Header.Size = NDIS_SIZEOF_NET_BUFFER_LIST_POOL_PARAMETERS_REVISION_1;
    lp.ProtocolId = NDIS_PROTOCOL_ID_DEFAULT;
    lp.fAllocateNetBuffer = TRUE;
    lp.PoolTag = kTag;
    b->nbl_pool = NdisAllocateNetBufferListPool(g_chaos->protocol, &lp);
    NET_BUFFER_POOL_PARAMETERS np{};
    np.Header.Type = NDIS_OBJECT_TYPE_DEFAULT;
    np.Header.Revision = NET_BUFFER_POOL_PARAMETERS_REVISION_1;
    np.Header.Size = NDIS_SIZEOF_NET_BUFFER_POOL_PARAMETERS_REVISION_1;
    np.PoolTag = kTag;
    b->nb_pool = NdisAllocateNetBufferPool(g_chaos->protocol, &np);
    if (b->nbl_pool == nullptr || b->nb_pool == nullptr) {
        return NDIS_STATUS_RESOURCES;
    }
    std::mt19937 rng(seed);
    for (ULONG i = 0; i < kSlots; ++i) {
        Slot &s = b->slots[i];
        s.nb_count = 1 + rng() % 3;
        s.mdls_per_nb = 1 + rng() % 2;
        s.nbl = NdisAllocateNetBufferAndNetBufferList(b->nbl_pool, 0, 0, nullptr, 0, 0);
        if (s.nbl == nullptr) {
            return NDIS_STATUS_RESOURCES;
        }
        s.nbl->SourceHandle = b->handle;
        s.nbl->ProtocolReserved[0] = b;
        s.nbl->ProtocolReserved[1] = reinterpret_cast<PVOID>(static_cast<ULONG_PTR>(i));
        PNET_BUFFER prev = nullptr;
        for (ULONG n = 0; n < s.nb_count; ++n) {
            PNET_BUFFER nb = n == 0 ? s.nbl->FirstNetBuffer
                                    : NdisAllocateNetBuffer(b->nb_pool, nullptr, 0, 0);
            if (nb == nullptr) {
                return NDIS_STATUS_RESOURCES;
            }
            s.nbs[n] = nb;
            PMDL chain = nullptr, last = nullptr;
            for (ULONG m = 0; m < s.mdls_per_nb; ++m) {
                auto *data = static_cast<PUCHAR>(
                    NdisAllocateMemoryWithTagPriority(g_chaos->protocol, kFrameBytes, kTag,
                                                      NormalPoolPriority));
                if (data == nullptr) {
                    return NDIS_STATUS_RESOURCES;
                }
                s.buffers[n * 2 + m] = data;
                NdisFillMemory(data, kFrameBytes, static_cast<UCHAR>(i));
                if (m == 0) {
                    NdisFillMemory(data, 6, 0xFF); // broadcast: looped to the other adapter
                }
                PMDL mdl = NdisAllocateMdl(g_chaos->protocol, data, kFrameBytes);
                if (mdl == nullptr) {
                    return NDIS_STATUS_RESOURCES;
                }
                s.mdls[n][m] = mdl;
                if (last == nullptr) {
                    chain = mdl;
                } else {
                    last->Next = mdl;
                }
                last = mdl;
            }
            nb->MdlChain = chain;
            nb->CurrentMdl = chain;
            nb->CurrentMdlOffset = 0;
            nb->DataOffset = 0;
            nb->DataLength = kFrameBytes * s.mdls_per_nb;
            if (prev != nullptr) {
                prev->Next = nb;
            }
            prev = nb;
        }
        b->free_list.push_back(i);
    }
    return NDIS_STATUS_SUCCESS;
}

// PS-14: the NBL comes back with the NBs and MDLs it was sent with.
bool intact(const Slot &s, std::string *why)
{
    PNET_BUFFER nb = s.nbl->FirstNetBuffer;
    for (ULONG n = 0; n < s.nb_count; ++n, nb = nb->Next) {
        if (nb != s.nbs[n]) {
            *why = "NB list changed";
            return false;
        }
        if (nb->MdlChain != s.mdls[n][0] || nb->DataLength != kFrameBytes * s.mdls_per_nb ||
            nb->DataOffset != 0) {
            *why = "NB geometry changed";
            return false;
        }
    }
    if (nb != nullptr) {
        *why = "extra NBs";
        return false;
    }
    return true;
}

// ---- the protocol's handlers ------------------------------------------------------------------

NDIS_STATUS ChaosBind(NDIS_HANDLE, NDIS_HANDLE bind_context, PNDIS_BIND_PARAMETERS bp)
{
    auto *b = new ChaosBinding;
    NdisAllocateSpinLock(&b->free_lock);
    NdisInitializeEvent(&b->close_done);
    NdisInitializeEvent(&b->oid_done);
    for (USHORT i = 0; i < bp->AdapterName->Length / sizeof(WCHAR); ++i) {
        b->adapter.push_back(static_cast<char>(bp->AdapterName->Buffer[i]));
    }
    b->faulty = b->adapter.rfind("f", 0) == 0;
    NDIS_MEDIUM media[] = {NdisMedium802_3};
    UINT selected = 0;
    NDIS_OPEN_PARAMETERS op{};
    op.Header.Type = NDIS_OBJECT_TYPE_OPEN_PARAMETERS;
    op.Header.Revision = NDIS_OPEN_PARAMETERS_REVISION_1;
    op.Header.Size = NDIS_SIZEOF_OPEN_PARAMETERS_REVISION_1;
    op.AdapterName = bp->AdapterName;
    op.MediumArray = media;
    op.MediumArraySize = 1;
    op.SelectedMediumIndex = &selected;
    NDIS_STATUS s = NdisOpenAdapterEx(g_chaos->protocol, b, &op, bind_context, &b->handle);
    if (s == NDIS_STATUS_SUCCESS) {
        s = build_slots(b, static_cast<std::uint32_t>(g_chaos->binds.load() * 7919 + 1));
        if (s != NDIS_STATUS_SUCCESS) {
            free_slots(b);
            b->free_list.clear();
            if (NdisCloseAdapterEx(b->handle) == NDIS_STATUS_PENDING) {
                NdisWaitEvent(&b->close_done, 0);
            }
        }
    }
    if (s != NDIS_STATUS_SUCCESS) {
        NdisFreeSpinLock(&b->free_lock);
        delete b;
        return s;
    }
    ULONG filter = NDIS_PACKET_TYPE_DIRECTED | NDIS_PACKET_TYPE_BROADCAST;
    NDIS_OID_REQUEST r{};
    r.Header.Type = NDIS_OBJECT_TYPE_OID_REQUEST;
    r.Header.Revision = NDIS_OID_REQUEST_REVISION_1;
    r.Header.Size = NDIS_SIZEOF_OID_REQUEST_REVISION_1;
    r.RequestType = NdisRequestSetInformation;
    r.DATA.SET_INFORMATION.Oid = OID_GEN_CURRENT_PACKET_FILTER;
    r.DATA.SET_INFORMATION.InformationBuffer = &filter;
    r.DATA.SET_INFORMATION.InformationBufferLength = sizeof filter;
    if (NdisOidRequest(b->handle, &r) == NDIS_STATUS_PENDING) {
        NdisWaitEvent(&b->oid_done, 0);
    }
    {
        std::lock_guard<std::mutex> g(g_chaos->lock);
        g_chaos->bindings.push_back(b);
    }
    g_chaos->binds.fetch_add(1);
    return NDIS_STATUS_SUCCESS;
}

NDIS_STATUS ChaosUnbind(NDIS_HANDLE, NDIS_HANDLE ctx)
{
    auto *b = static_cast<ChaosBinding *>(ctx);
    {
        std::lock_guard<std::mutex> g(g_chaos->lock);
        b->closing.store(true);
        std::erase(g_chaos->bindings, b);
    }
    while (b->senders.load() != 0) { // senders already inside NdisSendNetBufferLists
        std::this_thread::yield();
    }
    if (NdisCloseAdapterEx(b->handle) == NDIS_STATUS_PENDING) {
        NdisWaitEvent(&b->close_done, 0);
    }
    // PS-22: the close returned only after every send came back.
    if (b->in_flight.load() != 0) {
        g_chaos->error("binding to '" + b->adapter + "' closed with " +
                       std::to_string(b->in_flight.load()) + " NBL(s) not completed");
    }
    for (const Slot &s : b->slots) {
        if (s.nbl != nullptr && s.state.load() != kFree) {
            g_chaos->error("an NBL of '" + b->adapter + "' never came back");
            break;
        }
    }
    free_slots(b);
    NdisFreeSpinLock(&b->free_lock);
    delete b;
    g_chaos->unbinds.fetch_add(1);
    return NDIS_STATUS_SUCCESS;
}

VOID ChaosOpenComplete(NDIS_HANDLE, NDIS_STATUS) {}
VOID ChaosCloseComplete(NDIS_HANDLE ctx)
{
    NdisSetEvent(&static_cast<ChaosBinding *>(ctx)->close_done);
}
NDIS_STATUS ChaosPnp(NDIS_HANDLE, PNET_PNP_EVENT_NOTIFICATION) { return NDIS_STATUS_SUCCESS; }
VOID ChaosOidComplete(NDIS_HANDLE ctx, PNDIS_OID_REQUEST, NDIS_STATUS)
{
    NdisSetEvent(&static_cast<ChaosBinding *>(ctx)->oid_done);
}
VOID ChaosStatus(NDIS_HANDLE, PNDIS_STATUS_INDICATION) {}

VOID ChaosReceive(NDIS_HANDLE ctx, PNET_BUFFER_LIST nbls, NDIS_PORT_NUMBER, ULONG count,
                  ULONG flags)
{
    g_chaos->received.fetch_add(count);
    if (!NDIS_TEST_RECEIVE_CANNOT_PEND(flags)) {
        NdisReturnNetBufferLists(static_cast<ChaosBinding *>(ctx)->handle, nbls,
                                 NDIS_TEST_RECEIVE_AT_DISPATCH_LEVEL(flags)
                                     ? NDIS_RETURN_FLAGS_DISPATCH_LEVEL
                                     : 0);
    }
}

VOID ChaosSendComplete(NDIS_HANDLE ctx, PNET_BUFFER_LIST chain, ULONG flags)
{
    auto *b = static_cast<ChaosBinding *>(ctx);
    std::array<ULONG, 64> back{};
    std::size_t k = 0;
    std::int64_t n = 0;
    for (PNET_BUFFER_LIST nbl = chain, next; nbl != nullptr; nbl = next) {
        next = nbl->Next;
        nbl->Next = nullptr;
        ++n;
        if (nbl->ProtocolReserved[0] != b) {
            g_chaos->error("an NBL was completed to a binding that did not send it (PS-13)");
            continue;
        }
        const auto i = static_cast<ULONG>(reinterpret_cast<ULONG_PTR>(nbl->ProtocolReserved[1]));
        Slot &s = b->slots[i];
        LONG expected = kInFlight;
        if (!s.state.compare_exchange_strong(expected, kFree)) {
            g_chaos->error("an NBL was completed twice, or never sent (PS-14)");
            continue;
        }
        std::string why;
        if (!intact(s, &why)) {
            g_chaos->error("a completed NBL of '" + b->adapter + "': " + why + " (PS-14)");
        }
        StatusIndex idx;
        if (!allowed(b, nbl->Status, &idx)) {
            char buf[96];
            std::snprintf(buf, sizeof buf, "status 0x%08x not allowed on '%s'",
                          static_cast<unsigned>(nbl->Status), b->adapter.c_str());
            g_chaos->error(buf);
        }
        g_chaos->by_status[idx].fetch_add(1);
        NET_BUFFER_LIST_INFO(nbl, NetBufferListCancelId) = nullptr; // CAN-10
        if (k == back.size()) {
            NdisAcquireSpinLock(&b->free_lock);
            b->free_list.insert(b->free_list.end(), back.begin(), back.end());
            NdisReleaseSpinLock(&b->free_lock);
            k = 0;
        }
        back[k++] = i;
    }
    (void)flags;
    NdisAcquireSpinLock(&b->free_lock);
    b->free_list.insert(b->free_list.end(), back.begin(), back.begin() + k);
    NdisReleaseSpinLock(&b->free_lock);
    g_chaos->completed.fetch_add(static_cast<std::uint64_t>(n));
    b->in_flight.fetch_sub(n);
}

VOID ChaosUnload(PDRIVER_OBJECT)
{
    if (g_chaos->protocol != nullptr) {
        NdisDeregisterProtocolDriver(g_chaos->protocol);
        g_chaos->protocol = nullptr;
    }
}

NTSTATUS ChaosDriverEntry(PDRIVER_OBJECT driver, PUNICODE_STRING)
{
    NDIS_PROTOCOL_DRIVER_CHARACTERISTICS c{};
    c.Header.Type = NDIS_OBJECT_TYPE_PROTOCOL_DRIVER_CHARACTERISTICS;
    c.Header.Revision = NDIS_PROTOCOL_DRIVER_CHARACTERISTICS_REVISION_2;
    c.Header.Size = NDIS_SIZEOF_PROTOCOL_DRIVER_CHARACTERISTICS_REVISION_2;
    c.MajorNdisVersion = 6;
    c.MinorNdisVersion = 30;
    NDIS_STRING name = RTL_CONSTANT_STRING(L"chaos");
    c.Name = name;
    c.BindAdapterHandlerEx = ChaosBind;
    c.UnbindAdapterHandlerEx = ChaosUnbind;
    c.OpenAdapterCompleteHandlerEx = ChaosOpenComplete;
    c.CloseAdapterCompleteHandlerEx = ChaosCloseComplete;
    c.NetPnPEventHandler = ChaosPnp;
    c.OidRequestCompleteHandler = ChaosOidComplete;
    c.StatusHandlerEx = ChaosStatus;
    c.ReceiveNetBufferListsHandler = ChaosReceive;
    c.SendNetBufferListsCompleteHandler = ChaosSendComplete;
    driver->DriverUnload = ChaosUnload;
    g_chaos->partial_cancel_id = NdisGeneratePartialCancelId(); // CAN-01
    return NdisRegisterProtocolDriver(nullptr, &c, &g_chaos->protocol);
}

PVOID cancel_id(unsigned n)
{
    return reinterpret_cast<PVOID>((static_cast<ULONG_PTR>(g_chaos->partial_cancel_id) << 56) |
                                   (n % 4 + 1));
}

// One send of up to `want` NBLs on binding number `pick`; false when nothing was sent.
bool send_some(unsigned pick, unsigned want, unsigned round)
{
    ChaosBinding *b = nullptr;
    {
        std::lock_guard<std::mutex> g(g_chaos->lock);
        if (g_chaos->bindings.empty()) {
            return false;
        }
        b = g_chaos->bindings[pick % g_chaos->bindings.size()];
        if (b->closing.load()) {
            return false;
        }
        b->senders.fetch_add(1); // the unbind waits for us to leave the send call
    }
    std::array<ULONG, 32> take{};
    std::size_t k = 0;
    NdisAcquireSpinLock(&b->free_lock);
    while (k < want && k < take.size() && !b->free_list.empty()) {
        take[k++] = b->free_list.back();
        b->free_list.pop_back();
    }
    NdisReleaseSpinLock(&b->free_lock);
    if (k == 0) {
        b->senders.fetch_sub(1);
        return false;
    }
    PNET_BUFFER_LIST head = nullptr, tail = nullptr;
    for (std::size_t i = 0; i < k; ++i) {
        Slot &s = b->slots[take[i]];
        LONG expected = kFree;
        if (!s.state.compare_exchange_strong(expected, kInFlight)) {
            g_chaos->error("a free NBL was still in flight");
        }
        s.nbl->Status = NDIS_STATUS_SUCCESS;
        s.nbl->Next = nullptr;
        NET_BUFFER_LIST_INFO(s.nbl, NetBufferListCancelId) =
            (round + i) % 3 == 0 ? cancel_id(round) : nullptr; // CAN-02: some are tagged
        if (tail == nullptr) {
            head = s.nbl;
        } else {
            tail->Next = s.nbl;
        }
        tail = s.nbl;
    }
    b->in_flight.fetch_add(static_cast<std::int64_t>(k));
    g_chaos->sent.fetch_add(k);
    NdisSendNetBufferLists(b->handle, head, NDIS_DEFAULT_PORT_NUMBER, 0);
    b->senders.fetch_sub(1);
    return true;
}

// CAN-03/CAN-09: a cancel names one binding, which stays open until the call returns.
void cancel_some(unsigned pick, unsigned round)
{
    ChaosBinding *b = nullptr;
    {
        std::lock_guard<std::mutex> g(g_chaos->lock);
        if (g_chaos->bindings.empty()) {
            return;
        }
        b = g_chaos->bindings[pick % g_chaos->bindings.size()];
        if (b->closing.load()) {
            return;
        }
        b->senders.fetch_add(1);
    }
    NdisCancelSendNetBufferLists(b->handle, cancel_id(round));
    b->senders.fetch_sub(1);
}

const char *kTopology = R"(
[[driver]]
name = "null"
[[driver]]
name = "loopback"

[[adapter]]
name = "n0"
driver = "null"
[adapter.params]
CompletionMode = "dpc"
BatchSize = 16

[[adapter]]
name = "l0"
driver = "loopback"
[adapter.params]
Pair = 11

[[adapter]]
name = "l1"
driver = "loopback"
[adapter.params]
Pair = 11

[[adapter]]
name = "f0"
driver = "null"
[adapter.faulty]
seed = SEED
fail_fraction = 0.05
fail_statuses = ["INVALID_LENGTH", "RESOURCES", "FAILURE"]
delay_us_max = 200
reorder = true
merge = true
split = true
inline_fraction = 0.2
pend_pause_ms = 2
pend_restart_ms = 2
pend_reset_ms = 2
)";

} // namespace

TEST(StackChaos, EveryNblCompletedExactlyOnceUnderPauseResetCancelUnbind)
{
    const std::uint64_t target = env_u64("OPENNDIS_STRESS_NBLS", 1'000'000);
    const std::uint64_t seconds = env_u64("OPENNDIS_STRESS_SECONDS", 0);
    const std::uint64_t seed = env_u64("OPENNDIS_STRESS_SEED", 20261122);
    std::printf("stack chaos: %s, seed %llu\n",
                seconds != 0 ? (std::to_string(seconds) + " s").c_str()
                             : (std::to_string(target) + " NBLs").c_str(),
                static_cast<unsigned long long>(seed));
    Chaos chaos;
    g_chaos = &chaos;
    ndis::host::stack s;
    std::string topo = kTopology;
    topo.replace(topo.find("SEED"), 4, std::to_string(seed));
    ASSERT_TRUE(s.add_driver("chaos", &ChaosDriverEntry)) << s.last_error();
    ASSERT_TRUE(s.load_topology_string(topo, "chaos.toml")) << s.last_error();
    ASSERT_TRUE(s.start()) << s.last_error();
    {
        std::lock_guard<std::mutex> g(chaos.lock);
        ASSERT_EQ(chaos.bindings.size(), 4u) << "chaos binds to n0, l0, l1 and f0";
    }

    const auto start = std::chrono::steady_clock::now();
    auto done = [&] {
        return seconds != 0 ? std::chrono::steady_clock::now() - start >=
                                  std::chrono::seconds(seconds)
                            : chaos.sent.load() >= target;
    };
    std::atomic<bool> stop{false};
    std::vector<std::thread> senders;
    for (unsigned t = 0; t < 2; ++t) {
        senders.emplace_back([&, t] {
            std::mt19937 rng(static_cast<std::uint32_t>(seed + t));
            unsigned round = 0;
            while (!stop.load(std::memory_order_relaxed)) {
                if (!send_some(rng(), 1 + rng() % 16, round++)) {
                    std::this_thread::yield();
                }
            }
        });
    }

    // The control thread: one seeded PRNG chooses every action.
    std::mt19937_64 rng(seed);
    const char *adapters[] = {"n0", "l0", "l1", "f0"};
    std::uint64_t actions = 0, failed = 0;
    std::array<std::uint64_t, 8> by_kind{};
    std::string last_failure;
    // Every kind of action first (so that a short run — the sanitizer presets' — still does all
    // of them), then random ones, for at least 64 actions and until the target is met.
    constexpr std::uint64_t kMinActions = 64;
    while (!done() || actions < kMinActions) {
        const char *ad = adapters[rng() % 4];
        bool ok = true;
        const auto kind = static_cast<std::size_t>(actions < by_kind.size() ? actions : rng() % 8);
        ++by_kind[kind];
        switch (kind) {
        case 0:
            ok = s.pause_adapter(ad) && s.restart_adapter(ad);
            break;
        case 1:
            ok = s.pause_binding("chaos", ad) && s.restart_binding("chaos", ad);
            break;
        case 2:
            ok = s.reset_adapter(ad);
            break;
        case 3:
        case 4:
            cancel_some(static_cast<unsigned>(rng()), static_cast<unsigned>(rng()));
            break;
        case 5:
            ok = s.unbind("chaos", ad) && s.rebind("chaos", ad);
            break;
        case 6:
            ok = s.power_cycle_adapter(ad);
            break;
        default:
            break;
        }
        ++actions;
        if (!ok) {
            ++failed;
            last_failure = s.last_error();
        }
        std::this_thread::sleep_for(std::chrono::microseconds(rng() % 2000));
    }
    stop = true;
    for (std::thread &t : senders) {
        t.join();
    }
    std::printf("stack chaos: %llu control actions (%llu refused), %llu NBLs sent, %llu "
                "completed, %llu received; binds %llu, unbinds %llu\n",
                static_cast<unsigned long long>(actions), static_cast<unsigned long long>(failed),
                static_cast<unsigned long long>(chaos.sent.load()),
                static_cast<unsigned long long>(chaos.completed.load()),
                static_cast<unsigned long long>(chaos.received.load()),
                static_cast<unsigned long long>(chaos.binds.load()),
                static_cast<unsigned long long>(chaos.unbinds.load()));
    std::printf("stack chaos: by status: success %llu, paused %llu, reset %llu, aborted %llu, "
                "low power %llu, failures (faulty, loopback peer down) %llu\n",
                static_cast<unsigned long long>(chaos.by_status[kSuccess].load()),
                static_cast<unsigned long long>(chaos.by_status[kPaused].load()),
                static_cast<unsigned long long>(chaos.by_status[kReset].load()),
                static_cast<unsigned long long>(chaos.by_status[kAborted].load()),
                static_cast<unsigned long long>(chaos.by_status[kLowPower].load()),
                static_cast<unsigned long long>(chaos.by_status[kFaulty].load()));
    EXPECT_EQ(failed, 0u) << last_failure;

    const ndis::host::teardown_report r = s.stop();
    EXPECT_TRUE(r.clean()) << r.text();
    EXPECT_EQ(chaos.errors.load(), 0u) << chaos.first_error;
    EXPECT_EQ(chaos.sent.load(), chaos.completed.load()) << "PS-14: every NBL completed";
    if (seconds == 0) {
        EXPECT_GE(chaos.sent.load(), target);
    }
    EXPECT_GT(chaos.by_status[kSuccess].load(), 0u);
    for (std::size_t kind = 0; kind < by_kind.size(); ++kind) {
        EXPECT_GE(by_kind[kind], 1u) << "action kind " << kind;
    }
    EXPECT_GT(chaos.unbinds.load(), 4u) << "the control thread unbound and rebound";
    EXPECT_GT(chaos.received.load(), 0u) << "the loopback pair indicated";
    g_chaos = nullptr;
}
