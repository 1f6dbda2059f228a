// test_drivers.hpp — test-only NDIS drivers for the functional tests, written against <ndis.h>
// only (no runtime internals): a "capture" miniport and an "inject" protocol.
//
// Abstract
//   CaptureMiniport   a miniport driver (one per service name). Its adapters (CaptureAdapter)
//                     record every NBL MiniportSendNetBufferLists receives (order, port, flags,
//                     IRQL, NetBufferListInfo, the tag in the payload) and complete them by a
//                     per-adapter SendPolicy: inline inside the send call (PS-15), held for the
//                     test (Manual), from a std::thread, or from a KDPC at DISPATCH_LEVEL; per
//                     send, merged across sends, split into single NBLs, in reverse order. They
//                     indicate receives (with or without NDIS_RECEIVE_FLAGS_RESOURCES) and record
//                     MiniportReturnNetBufferLists; answer the common OIDs (synchronously or
//                     pended and completed from another thread); pend pause/restart on request;
//                     indicate link state; read their configuration in MiniportInitializeEx.
//   InjectProtocol    a protocol driver. Each binding (InjectBinding) opens its adapter inside
//                     ProtocolBindAdapterEx (or from a helper thread with a pended bind), builds
//                     NBL chains of a given shape from its own pools (SourceHandle = its
//                     NdisBindingHandle), sends them, and records every completion (which NBLs,
//                     Status, flags, IRQL, thread, whether inside the send call, whether it came
//                     on the right binding and with its NB list / MDLs / data intact), every
//                     receive (returned at once or held for the test), PnP events, status
//                     indications and OID completions.
//   Every NBL carries a 64-bit tag in the first bytes of each NB's data; tags identify NBLs in
//   the records (pointers are reused after a free).
//
// Global invariants both drivers check on every call and count as violations (a functional
// test's fixture expects them to stay 0): a *_DISPATCH_LEVEL flag the runtime passes that does
// not match the IRQL the handler runs at (IRQL-02/IRQL-04); a completion for a binding that is
// not the NBL's originator (PS-14, MS-11); an NBL whose NB list, MDLs or data changed between
// send and completion (PS-14, MS-07).
//
// Loading: the fixture (stack_fixture.hpp) calls CaptureMiniportDriverEntry /
// InjectProtocolDriverEntry with the DRIVER_OBJECT embedded in the driver object, between
// ndis::core::set_loading_service(&service) and set_loading_service(nullptr), like the host.
// Unloading: driver_object()->DriverUnload (NdisMDeregisterMiniportDriver /
// NdisDeregisterProtocolDriver).
#pragma once

#include <ndis.h>

#include <array>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace ft {

using Tag = std::uint64_t;
using namespace std::chrono_literals;

// ---- small helpers ------------------------------------------------------------------------------

// An NDIS_STRING with its own storage.
class NdisStr {
public:
    explicit NdisStr(const std::string &text);
    NdisStr(const NdisStr &) = delete;
    NdisStr &operator=(const NdisStr &) = delete;
    NDIS_STRING *get() noexcept { return &str_; }

private:
    std::vector<WCHAR> buf_;
    NDIS_STRING str_{};
};

std::string narrow(const NDIS_STRING *s);

// Threads drivers start to complete something later (pended bind, pause, OID …); joined by
// join_all() (the fixture's teardown) or the destructor.
class Helpers {
public:
    ~Helpers() { join_all(); }
    void run(std::function<void()> fn, std::chrono::milliseconds delay = 0ms);
    void join_all();

private:
    std::mutex lock_;
    std::vector<std::thread> threads_;
};

// What a driver read from a configuration handle.
struct ConfigProbe {
    std::string key;
    NDIS_PARAMETER_TYPE type;
};
struct ConfigResult {
    std::string key;
    NDIS_PARAMETER_TYPE asked{};
    NDIS_STATUS status = NDIS_STATUS_FAILURE;
    NDIS_PARAMETER_TYPE got{};
    ULONG integer = 0;
    std::string text;
};
// NdisOpenConfigurationEx(handle), one NdisReadConfiguration per probe, NdisCloseConfiguration.
// open_status receives the open's status.
std::vector<ConfigResult> read_config(NDIS_HANDLE handle, const std::vector<ConfigProbe> &probes,
                                      NDIS_STATUS *open_status = nullptr);

// ---- NBL shapes, payloads, snapshots ---------------------------------------------------------------

struct Shape {
    unsigned nbls = 1;      // NBLs in the chain
    unsigned nbs = 1;       // NBs per NBL
    unsigned mdls = 1;      // MDLs per NB
    unsigned mdl_bytes = 24; // bytes per MDL (>= 16)
};

// Where an NBL's NBs, MDLs and bytes are; compared between send and completion (PS-14).
struct NblSnapshot {
    struct Nb {
        PNET_BUFFER nb = nullptr;
        PMDL mdl_chain = nullptr, current_mdl = nullptr;
        ULONG current_mdl_offset = 0, data_offset = 0, data_length = 0;
        std::vector<PMDL> mdls;
        std::vector<ULONG> mdl_bytes;
        std::vector<PVOID> mdl_va;
    };
    std::vector<Nb> nbs;
    std::uint64_t checksum = 0;
};
NblSnapshot snapshot(const NET_BUFFER_LIST *nbl);
// Empty when equal, else what differs.
std::string compare(const NblSnapshot &before, const NblSnapshot &after);
// The tag in the first 8 bytes of the NBL's first NB (~0 when there is none).
Tag read_tag(PNET_BUFFER_LIST nbl);
// For tests that need a real Ethernet destination: writes `dest` into bytes 0..5 and `id` into
// bytes 6..7 of every NB of the NBL (so the tag stays unique per frame) and returns the new tag.
Tag stamp_destination(PNET_BUFFER_LIST nbl, const std::array<UCHAR, 6> &dest, std::uint16_t id);

// Pools an NDIS driver allocates its NBLs from: an NBL pool of kind (b) (NBL + NB, no data) and
// an NB pool; each NB's data is one tagged memory block cut into `mdls` MDLs.
class NblFactory {
public:
    bool open(NDIS_HANDLE owner, ULONG pool_tag);
    void close();
    bool is_open() const noexcept { return nbl_pool_ != nullptr; }
    // An NBL with `shape.nbs` NBs of `shape.mdls` MDLs; the tag in each NB's first 8 bytes.
    PNET_BUFFER_LIST make(Tag tag, const Shape &shape, NDIS_HANDLE source_handle);
    // Frees MDLs, data blocks, the extra NBs and the NBL.
    static void destroy(PNET_BUFFER_LIST nbl);

private:
    NDIS_HANDLE owner_ = nullptr;
    NDIS_HANDLE nbl_pool_ = nullptr;
    NDIS_HANDLE nb_pool_ = nullptr;
    ULONG tag_ = 0;
};

// IRQL-02/IRQL-04: the DISPATCH_LEVEL bit of `flags` must say whether we run at DISPATCH.
inline bool flag_tells_truth(ULONG flags, ULONG dispatch_flag) noexcept
{
    return ((flags & dispatch_flag) != 0) == (KeGetCurrentIrql() >= DISPATCH_LEVEL);
}

enum class Pend { No, FromThread };

// ===================================================================================================
// Capture miniport
// ===================================================================================================

enum class Completer { Inline, Manual, Thread, Dpc };
enum class Grouping { PerSend, Merged, Single };
// Which SendCompleteFlags the miniport passes: the truth (DISPATCH_LEVEL exactly when it is at
// DISPATCH), or a lie either way (IRQL-02 on a lie at PASSIVE, IRQL-04 on the way up).
enum class FlagMode { Truth, AlwaysDispatch, NeverDispatch };

struct SendPolicy {
    Completer completer = Completer::Inline;
    Grouping grouping = Grouping::PerSend;
    bool reverse = false;
    NDIS_STATUS status = NDIS_STATUS_SUCCESS;
    FlagMode flags = FlagMode::Truth;
};

// One NBL as MiniportSendNetBufferLists saw it.
struct CapturedNbl {
    PNET_BUFFER_LIST nbl = nullptr;
    Tag tag = 0;
    NDIS_HANDLE source = nullptr;
    NDIS_PORT_NUMBER port = 0;
    ULONG send_flags = 0;
    KIRQL irql = PASSIVE_LEVEL;
    std::size_t call = 0; // index of the MiniportSendNetBufferLists call
    std::size_t nbs = 0;
    std::array<PVOID, MaxNetBufferListInfo> info{};
};

// One NdisMSendNetBufferListsComplete call the miniport made.
struct MiniportCompletion {
    std::vector<Tag> tags;
    ULONG flags = 0;
    KIRQL irql = PASSIVE_LEVEL;
};

// One MiniportReturnNetBufferLists call.
struct MiniportReturn {
    std::vector<Tag> tags;
    ULONG flags = 0;
    KIRQL irql = PASSIVE_LEVEL;
};

// One MiniportOidRequest.
struct MiniportOid {
    NDIS_REQUEST_TYPE type{};
    NDIS_OID oid = 0;
    NDIS_STATUS status = NDIS_STATUS_SUCCESS;
    bool pended = false;
};

class CaptureAdapter;

class CaptureMiniport {
public:
    explicit CaptureMiniport(std::string service_name);
    ~CaptureMiniport();
    CaptureMiniport(const CaptureMiniport &) = delete;
    CaptureMiniport &operator=(const CaptureMiniport &) = delete;

    const std::string service;
    PDRIVER_OBJECT driver_object() noexcept;
    UNICODE_STRING *registry_path() noexcept { return registry_path_->get(); }

    // ---- set before DriverEntry ----
    std::function<void(NDIS_MINIPORT_DRIVER_CHARACTERISTICS &)> tweak;
    std::vector<ConfigProbe> adapter_probes; // read with the adapter handle in InitializeEx
    std::vector<ConfigProbe> driver_probes;  // read with the driver handle in InitializeEx

    // ---- behaviour, may change at any time ----
    std::atomic<Pend> pause_mode{Pend::No};
    std::atomic<Pend> restart_mode{Pend::No};
    std::atomic<NDIS_STATUS> restart_status{NDIS_STATUS_SUCCESS};
    std::atomic<bool> oid_pended{false};
    std::atomic<NDIS_STATUS> initialize_status{NDIS_STATUS_SUCCESS};
    SendPolicy default_policy; // given to each new adapter
    // MiniportResetEx: answer PENDING and complete from a thread; the status; AddressingReset;
    // whether held sends are completed (RESET_IN_PROGRESS) before the reset completes (ST-16).
    std::atomic<Pend> reset_mode{Pend::No};
    std::atomic<NDIS_STATUS> reset_status{NDIS_STATUS_SUCCESS};
    std::atomic<bool> reset_addressing{false};
    std::atomic<bool> reset_flushes{true};
    // Set before DriverEntry: register MiniportCheckForHangEx (answers `hang_answer`) and the
    // CheckForHangTimeInSeconds to put in the registration attributes.
    bool register_check_for_hang = false;
    std::atomic<bool> hang_answer{false};
    // NDIS_MINIPORT_ADAPTER_GENERAL_ATTRIBUTES of new adapters.
    std::atomic<ULONG> mac_options{NDIS_MAC_OPTION_COPY_LOOKAHEAD_DATA |
                                   NDIS_MAC_OPTION_TRANSFERS_NOT_PEND |
                                   NDIS_MAC_OPTION_NO_LOOPBACK};
    std::atomic<ULONG> max_multicast{32};

    // ---- results ----
    NDIS_HANDLE driver_handle = nullptr; // NdisMiniportDriverHandle
    NDIS_STATUS register_status = NDIS_STATUS_FAILURE;
    std::atomic<int> unload_calls{0};
    std::atomic<int> halt_calls{0};
    bool registered() const noexcept { return register_status == NDIS_STATUS_SUCCESS; }

    std::vector<CaptureAdapter *> adapters();
    CaptureAdapter *adapter(std::size_t i);
    Helpers helpers;

    // Invariant violations (see the header): flags that lie about the IRQL on sends and returns.
    std::atomic<int> flag_lies{0};

    // Internal (called by the handlers).
    CaptureAdapter *add_adapter(NDIS_HANDLE handle);
    struct Box;
    static CaptureMiniport *from(PDRIVER_OBJECT driver_object) noexcept;

private:
    std::unique_ptr<Box> box_;
    std::unique_ptr<NdisStr> registry_path_;
    std::mutex lock_;
    std::vector<std::unique_ptr<CaptureAdapter>> adapters_;
};

class CaptureAdapter {
public:
    CaptureAdapter(CaptureMiniport *driver, NDIS_HANDLE handle);
    ~CaptureAdapter();

    CaptureMiniport *const driver;
    const NDIS_HANDLE handle; // NdisMiniportHandle
    const unsigned id;        // unique in the process (tags of indicated NBLs)

    // From MiniportInitializeEx (configuration and the attributes set).
    ULONG if_index = 0;
    NDIS_MEDIUM medium = NdisMedium802_3;
    ULONG mtu = 1500;
    ULONG64 link_speed = 1'000'000'000ULL;
    ULONG data_backfill = 0, context_backfill = 0;
    UCHAR permanent_mac[6] = {};
    UCHAR current_mac[6] = {};
    NDIS_STATUS network_address_status = NDIS_STATUS_FAILURE;
    NDIS_STATUS config_open_status = NDIS_STATUS_FAILURE;
    std::vector<ConfigResult> adapter_config, driver_config;
    std::atomic<bool> halted{false};
    std::atomic<int> pause_calls{0}, restart_calls{0};
    std::atomic<int> reset_calls{0}, check_for_hang_calls{0}, shutdown_calls{0}, cancel_calls{0};
    std::atomic<int> cancelled{0};  // NBLs completed SEND_ABORTED by MiniportCancelSend
    std::atomic<NDIS_DEVICE_POWER_STATE> power{NdisDeviceStateD0}; // OID_PNP_SET_POWER (ST-19)
    std::atomic<KIRQL> reset_irql{PASSIVE_LEVEL}, check_for_hang_irql{PASSIVE_LEVEL};
    std::atomic<int> flushed_at_pause{0};
    ULONG pause_reason = 0;

    // ---- send path ----
    void set_policy(const SendPolicy &policy);
    SendPolicy policy();
    std::vector<CapturedNbl> captured();
    std::size_t captured_count();
    std::vector<MiniportCompletion> completions();
    std::size_t pending_count();
    bool wait_pending(std::size_t n, std::chrono::milliseconds timeout = 5s);
    std::size_t send_calls();

    enum class From { Caller, Thread, Dpc, CallerAtDispatch };
    // Completes every held NBL (Manual policy) from `from`, grouped and ordered as asked; returns
    // once the completion calls were made.
    void complete_pending(From from, Grouping grouping = Grouping::Merged, bool reverse = false,
                          NDIS_STATUS status = NDIS_STATUS_SUCCESS,
                          FlagMode flags = FlagMode::Truth);
    // Takes every held NBL out of the pending queue (arrival order) without completing it.
    std::vector<PNET_BUFFER_LIST> take_pending();
    // Links `nbls` in this order, sets Status (unless keep_status) and calls
    // NdisMSendNetBufferListsComplete once (recorded).
    void complete_chain(const std::vector<PNET_BUFFER_LIST> &nbls, ULONG flags,
                        NDIS_STATUS status = NDIS_STATUS_SUCCESS, bool keep_status = false);

    // ---- receive path ----
    struct Rx {
        unsigned nbls = 1;
        Shape shape{};        // nbls is taken from above
        ULONG flags = 0;      // NDIS_RECEIVE_FLAGS_*
        NDIS_PORT_NUMBER port = 0;
        bool at_dispatch = false;       // raise to DISPATCH around the call (and say so)
        long count_override = -1;       // NumberOfNetBufferLists to pass when >= 0
        NDIS_HANDLE source_override = nullptr; // SourceHandle to put on the NBLs
        // When not empty: NBL i's frames get destination dests[i % size] (stamp_destination);
        // the tags returned are the stamped ones.
        std::vector<std::array<UCHAR, 6>> dests;
    };
    // Builds and indicates a chain; returns the tags. With NDIS_RECEIVE_FLAGS_RESOURCES the
    // chain is checked (last_resources_intact) and freed when the call returns.
    std::vector<Tag> indicate(const Rx &rx);
    std::atomic<bool> last_resources_intact{true};
    std::vector<MiniportReturn> returns();
    std::vector<Tag> returned_tags();
    std::size_t rx_outstanding() const noexcept { return rx_outstanding_.load(); }
    bool wait_returned(std::size_t n, std::chrono::milliseconds timeout = 5s);

    // ---- status, OIDs ----
    void indicate_link_state(NDIS_MEDIA_CONNECT_STATE state, ULONG64 speed);
    std::vector<MiniportOid> oids();
    ULONG packet_filter() const noexcept { return packet_filter_.load(); }
    // The last OID_802_3_MULTICAST_LIST set (6 bytes per address).
    std::vector<UCHAR> multicast_list();
    NDIS_MEDIA_CONNECT_STATE connect_state() const noexcept { return connect_state_.load(); }

    // ---- handlers' internals ----
    void on_send(PNET_BUFFER_LIST chain, NDIS_PORT_NUMBER port, ULONG flags);
    void on_return(PNET_BUFFER_LIST chain, ULONG flags);
    NDIS_STATUS on_oid(PNDIS_OID_REQUEST request);
    NDIS_STATUS on_pause(PNDIS_MINIPORT_PAUSE_PARAMETERS params);
    NDIS_STATUS on_restart();
    void on_halt();
    void on_dpc(bool flush_request);
    NDIS_STATUS on_reset(PBOOLEAN addressing_reset);
    BOOLEAN on_check_for_hang();
    void on_cancel_send(PVOID cancel_id);
    NDIS_STATUS initialize(PNDIS_MINIPORT_INIT_PARAMETERS params);

private:
    using Batch = std::vector<PNET_BUFFER_LIST>;
    struct FlushRequest {
        Grouping grouping = Grouping::Merged;
        bool reverse = false;
        NDIS_STATUS status = NDIS_STATUS_SUCCESS;
        FlagMode flags = FlagMode::Truth;
    };
    void complete_batches(std::vector<Batch> batches, Grouping grouping, bool reverse,
                          NDIS_STATUS status, FlagMode mode, bool at_dispatch);
    std::vector<Batch> take_batches();
    void worker_main();
    void stop_worker();
    NDIS_STATUS handle_oid(PNDIS_OID_REQUEST request);

    NDIS_SPIN_LOCK lock_;
    SendPolicy policy_;
    std::vector<CapturedNbl> captured_;
    std::size_t send_calls_ = 0;
    std::deque<Batch> pending_;
    std::vector<MiniportCompletion> completions_;
    std::vector<MiniportReturn> returns_;
    std::vector<MiniportOid> oids_;
    std::atomic<std::int64_t> rx_outstanding_{0};
    std::atomic<Tag> next_rx_tag_{1};
    std::atomic<ULONG> packet_filter_{0};
    std::vector<UCHAR> multicast_; // guarded by lock_
    std::atomic<NDIS_MEDIA_CONNECT_STATE> connect_state_{MediaConnectStateConnected};
    bool paused_ = true;
    NblFactory rx_;

    KDPC dpc_{};       // Completer::Dpc: drains pending with the policy
    KDPC flush_dpc_{}; // complete_pending(From::Dpc)
    FlushRequest flush_{};
    std::atomic<bool> flush_done_{false};

    std::mutex worker_lock_;
    std::condition_variable worker_cv_;
    bool worker_stop_ = false;
    bool worker_kick_ = false;
    std::thread worker_;
};

// DRIVER_INITIALIZE for a CaptureMiniport (DriverObject = CaptureMiniport::driver_object()).
NTSTATUS CaptureMiniportDriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath);

// ===================================================================================================
// Inject protocol
// ===================================================================================================

enum class BindMode { Sync, PendFromThread };
enum class ReceiveMode { ReturnNow, Hold };

// What ProtocolBindAdapterEx was told (NDIS_BIND_PARAMETERS).
struct BindInfo {
    USHORT revision = 0, size = 0;
    std::string adapter_name, bound_adapter_name, protocol_section;
    NDIS_MEDIUM medium{};
    NDIS_PHYSICAL_MEDIUM physical_medium{};
    ULONG mtu = 0;
    ULONG64 max_xmit_speed = 0, xmit_speed = 0, max_rcv_speed = 0, rcv_speed = 0;
    NDIS_MEDIA_CONNECT_STATE connect_state{};
    NDIS_MEDIA_DUPLEX_STATE duplex_state{};
    ULONG lookahead = 0, supported_filters = 0, max_multicast = 0, mac_options = 0;
    USHORT mac_length = 0;
    UCHAR mac[NDIS_MAX_PHYS_ADDRESS_LENGTH] = {};
    ULONG data_backfill = 0, context_backfill = 0;
    NET_IFTYPE if_type = 0;
    NET_IF_ACCESS_TYPE access_type{};
    BOOLEAN connector_present = FALSE;
    NET_IFINDEX bound_if_index = 0, lowest_if_index = 0;
};

// One ProtocolSendNetBufferListsComplete call.
struct ProtocolCompletion {
    std::vector<Tag> tags;
    std::vector<NDIS_STATUS> status;
    ULONG flags = 0;
    KIRQL irql = PASSIVE_LEVEL;
    std::thread::id thread;
    bool inside_send = false; // arrived while this thread was inside NdisSendNetBufferLists
};

// One ProtocolReceiveNetBufferLists call.
struct ProtocolReceive {
    std::vector<Tag> tags;
    std::vector<PNET_BUFFER_LIST> nbls;
    ULONG count = 0; // NumberOfNetBufferLists
    ULONG flags = 0;
    NDIS_PORT_NUMBER port = 0;
    KIRQL irql = PASSIVE_LEVEL;
};

struct StatusRecord {
    NDIS_STATUS code = 0;
    NDIS_HANDLE source = nullptr;
    NDIS_PORT_NUMBER port = 0;
    bool has_link_state = false;
    NDIS_LINK_STATE link{};
};

struct OidResult {
    NDIS_STATUS status = NDIS_STATUS_FAILURE;
    bool pended = false;
    ULONG bytes = 0;  // BytesWritten / BytesRead
    ULONG needed = 0; // BytesNeeded
    std::thread::id completed_on;
};

class InjectProtocol;

class InjectBinding {
public:
    explicit InjectBinding(InjectProtocol *protocol);
    ~InjectBinding();

    InjectProtocol *const protocol;
    const unsigned id; // unique in the process (high bits of this binding's tags)
    NDIS_HANDLE handle = nullptr; // NdisBindingHandle
    BindInfo info;
    NDIS_STATUS open_status = NDIS_STATUS_PENDING;
    UINT selected_medium = ~0u;
    std::vector<ConfigResult> binding_config, protocol_config;
    NDIS_STATUS binding_config_open_status = NDIS_STATUS_FAILURE;
    std::atomic<bool> unbound{false};
    std::atomic<int> open_complete_calls{0}, close_complete_calls{0};
    std::atomic<bool> open_pended{false};                  // NdisOpenAdapterEx answered PENDING
    std::atomic<NDIS_STATUS> open_complete_status{NDIS_STATUS_PENDING};
    std::atomic<NDIS_HANDLE> open_complete_handle{nullptr}; // `handle` seen inside OpenComplete
    std::atomic<NDIS_STATUS> close_status{NDIS_STATUS_PENDING}; // NdisCloseAdapterEx's answer

    // ---- send ----
    // Builds a chain (SourceHandle = this binding) and returns the tags in chain order.
    PNET_BUFFER_LIST build(const Shape &shape, std::vector<Tag> *tags = nullptr);
    // NdisSendNetBufferLists, marking this thread as inside the call (PS-15). Snapshots each
    // NBL first (for the intactness check at completion).
    void send_chain(PNET_BUFFER_LIST chain, NDIS_PORT_NUMBER port = 0, ULONG flags = 0);
    std::vector<Tag> send(const Shape &shape, NDIS_PORT_NUMBER port = 0, ULONG flags = 0);
    // Frees an NBL this binding built (completed and kept, or never sent).
    void free_nbl(PNET_BUFFER_LIST nbl);

    std::vector<ProtocolCompletion> completions();
    std::vector<Tag> completed_tags(); // every completed tag, in completion order
    std::size_t completed_count();
    bool wait_completed(std::size_t n, std::chrono::milliseconds timeout = 5s);
    std::map<Tag, int> completion_counts();
    std::map<Tag, NDIS_STATUS> completion_status();
    std::atomic<bool> keep_completed{false}; // keep completed NBLs instead of freeing them
    std::vector<PNET_BUFFER_LIST> take_kept();
    std::size_t sent_count() const noexcept { return sent_.load(); }
    // For tests that send NBLs the runtime must drop (not from a pool, sent twice): they are
    // never completed, so they do not count as sent.
    void uncount_sent(std::size_t n) noexcept { sent_.fetch_sub(n); }

    // Called first in ProtocolSendNetBufferListsComplete / ProtocolReceiveNetBufferLists (set
    // before the traffic starts): lets a test hold a thread inside the handler.
    std::function<void(PNET_BUFFER_LIST chain, ULONG flags)> send_complete_hook;
    std::function<void(PNET_BUFFER_LIST chain, ULONG flags)> receive_hook;

    // ---- receive ----
    std::atomic<ReceiveMode> receive_mode{ReceiveMode::ReturnNow};
    std::vector<ProtocolReceive> receives();
    std::vector<Tag> received_tags();
    std::vector<PNET_BUFFER_LIST> take_held();
    std::size_t held_count();
    void return_nbls(const std::vector<PNET_BUFFER_LIST> &nbls, ULONG flags = 0);

    // ---- OIDs ----
    OidResult request(NDIS_REQUEST_TYPE type, NDIS_OID oid, void *buffer, ULONG length);
    OidResult query(NDIS_OID oid, void *buffer, ULONG length)
    {
        return request(NdisRequestQueryInformation, oid, buffer, length);
    }
    OidResult set(NDIS_OID oid, void *buffer, ULONG length)
    {
        return request(NdisRequestSetInformation, oid, buffer, length);
    }

    // Lower level: issues a request and keeps it alive until free_oid (so that a test can
    // misuse it afterwards). *status: what NdisOidRequest returned.
    PNDIS_OID_REQUEST start_oid(NDIS_REQUEST_TYPE type, NDIS_OID oid, void *buffer, ULONG length,
                                NDIS_STATUS *status);
    // Waits for ProtocolOidRequestComplete on a pended request; its status in *status.
    bool wait_oid(PNDIS_OID_REQUEST request, NDIS_STATUS *status,
                  std::chrono::milliseconds timeout = 5s);
    void free_oid(PNDIS_OID_REQUEST request);
    std::atomic<int> oid_completions{0}; // ProtocolOidRequestComplete calls

    // ---- PnP and status ----
    std::vector<NET_PNP_EVENT_CODE> pnp_events();
    std::vector<StatusRecord> statuses();

    // ---- handlers' internals ----
    NDIS_STATUS open(NDIS_HANDLE bind_context);
    void on_send_complete(PNET_BUFFER_LIST chain, ULONG flags);
    void on_receive(PNET_BUFFER_LIST chain, NDIS_PORT_NUMBER port, ULONG count, ULONG flags);
    NDIS_STATUS on_pnp(PNET_PNP_EVENT_NOTIFICATION event);
    NDIS_STATUS on_unbind();
    void on_status(PNDIS_STATUS_INDICATION indication);
    void on_oid_complete(PNDIS_OID_REQUEST request, NDIS_STATUS status);
    NDIS_EVENT close_done;
    NDIS_EVENT open_done;

private:
    struct SendRecord;
    NDIS_SPIN_LOCK lock_;
    NblFactory tx_;
    std::atomic<Tag> next_seq_{1};
    std::atomic<std::size_t> sent_{0};
    std::vector<ProtocolCompletion> completions_;
    std::size_t completed_ = 0;
    std::map<Tag, int> counts_;
    std::map<Tag, NDIS_STATUS> status_;
    std::vector<PNET_BUFFER_LIST> kept_;
    std::vector<ProtocolReceive> receives_;
    std::vector<PNET_BUFFER_LIST> held_;
    std::vector<NET_PNP_EVENT_CODE> pnp_;
    std::vector<StatusRecord> statuses_;
};

class InjectProtocol {
public:
    explicit InjectProtocol(std::string registered_name);
    ~InjectProtocol();
    InjectProtocol(const InjectProtocol &) = delete;
    InjectProtocol &operator=(const InjectProtocol &) = delete;

    const std::string name; // NDIS_PROTOCOL_DRIVER_CHARACTERISTICS.Name
    PDRIVER_OBJECT driver_object() noexcept;
    UNICODE_STRING *registry_path() noexcept { return registry_path_->get(); }

    // ---- set before DriverEntry ----
    std::function<void(NDIS_PROTOCOL_DRIVER_CHARACTERISTICS &)> tweak;
    std::vector<ConfigProbe> protocol_probes; // NdisProtocolHandle, read in bind
    std::vector<ConfigProbe> binding_probes;  // NdisBindingHandle, read in bind after the open

    // ---- behaviour ----
    std::atomic<BindMode> bind_mode{BindMode::Sync};
    std::atomic<Pend> pause_mode{Pend::No};
    std::atomic<Pend> restart_mode{Pend::No};
    std::vector<NDIS_MEDIUM> media{NdisMedium802_3}; // NDIS_OPEN_PARAMETERS.MediumArray
    ReceiveMode default_receive_mode = ReceiveMode::ReturnNow;

    // ---- results ----
    NDIS_HANDLE protocol_handle = nullptr; // NdisProtocolHandle
    NDIS_STATUS register_status = NDIS_STATUS_FAILURE;
    bool registered() const noexcept { return register_status == NDIS_STATUS_SUCCESS; }
    std::atomic<int> unload_calls{0};
    std::atomic<int> bind_calls{0}, unbind_calls{0};
    NDIS_HANDLE last_bind_context = nullptr;         // a stale one after the bind (PS-04)
    std::atomic<NDIS_STATUS> last_bind_status{NDIS_STATUS_PENDING}; // what bind returned/completed

    std::vector<InjectBinding *> bindings();          // opened (live or unbound)
    InjectBinding *binding(std::size_t i);
    std::vector<InjectBinding *> failed_bindings();   // binds whose open failed
    Helpers helpers;

    // Invariant violations (see the header).
    std::atomic<int> flag_lies{0};
    std::atomic<int> wrong_binding{0};
    std::atomic<int> damaged{0};
    std::string first_damage(); // what the first damaged NBL looked like

    // Internal.
    void note_damage(const std::string &what);
    InjectBinding *new_binding();
    void opened(InjectBinding *b, bool ok);
    struct Box;
    static InjectProtocol *from(PDRIVER_OBJECT driver_object) noexcept;

private:
    std::unique_ptr<Box> box_;
    std::unique_ptr<NdisStr> name_;
    std::unique_ptr<NdisStr> registry_path_;
    std::mutex lock_;
    std::vector<std::unique_ptr<InjectBinding>> all_;
    std::vector<InjectBinding *> opened_, failed_;
    std::string first_damage_;

public:
    NDIS_STRING *ndis_name() noexcept { return name_->get(); }
};

// DRIVER_INITIALIZE for an InjectProtocol (DriverObject = InjectProtocol::driver_object()).
NTSTATUS InjectProtocolDriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath);

// A fresh tag space per process: binding and adapter ids go into the high bits.
Tag make_tag(unsigned owner_id, Tag seq) noexcept;
unsigned tag_owner(Tag tag) noexcept;

} // namespace ft
