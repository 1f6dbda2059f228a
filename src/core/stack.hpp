// core/stack.hpp — drivers, adapters and bindings: the objects NDIS keeps between drivers.
//
//   miniport_driver   one per NdisMRegisterMiniportDriver (handle: NdisMiniportDriverHandle)
//   protocol_driver   one per NdisRegisterProtocolDriver (handle: NdisProtocolHandle)
//   adapter           one miniport adapter (handle: NdisMiniportHandle / MiniportAdapterHandle,
//                     also the SourceHandle of every NBL the miniport indicates)
//   binding           one open of an adapter by a protocol (handle: NdisBindingHandle, also the
//                     SourceHandle of every NBL the protocol sends)
//
// Control (initialize, bind, restart, pause, unbind, halt) is driven by the host from one
// control thread at PASSIVE_LEVEL, in NDIS order; each step waits (bounded) for drivers that
// answer NDIS_STATUS_PENDING. The data path (send, complete, indicate, return) runs on any
// thread, at PASSIVE or DISPATCH, concurrently with everything else.
//
// Data path in one picture (ownership moves with the arrow; the runtime never copies data):
//
//   NdisSendNetBufferLists(binding) ──► [filters, later] ──► MiniportSendNetBufferLists(adapter)
//   ProtocolSendNetBufferListsComplete ◄── split by SourceHandle ◄── NdisMSendNetBufferListsComplete
//   NdisMIndicateReceiveNetBufferLists(adapter) ──► ProtocolReceiveNetBufferLists (every running binding)
//   MiniportReturnNetBufferLists ◄── when every binding returned it ◄── NdisReturnNetBufferLists
//
// Rules the code keeps: no runtime lock is held across a call into a driver; a completion may
// arrive inside the send call (PS-15); every NBL that enters NdisSendNetBufferLists comes back
// to its SourceHandle's protocol exactly once (PS-14) — when the binding or adapter cannot take
// it, the runtime completes it itself with NDIS_STATUS_PAUSED (ST-04).
#pragma once

#include "core/handles.hpp"
#include "core/loopback.hpp"
#include "core/params.hpp"
#include "kernel/irql.hpp"

#include <ndis.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <string>
#include <vector>

namespace ndis::core {

class adapter;
class binding;
class faulty_adapter;

// A one-shot "operation finished" signal the control thread waits on (pending pause, restart,
// bind, open, close, unbind, OID …).
class completion {
public:
    void reset()
    {
        std::lock_guard<std::mutex> g(lock_);
        done_ = false;
        status_ = NDIS_STATUS_PENDING;
    }
    // Notifies under the lock: the waiter may destroy the object holding this completion as
    // soon as it wakes, so nothing may touch it after the lock is released.
    void complete(NDIS_STATUS status)
    {
        std::lock_guard<std::mutex> g(lock_);
        done_ = true;
        status_ = status;
        cv_.notify_all();
    }
    // False on timeout.
    bool wait(std::chrono::milliseconds timeout, NDIS_STATUS *status)
    {
        std::unique_lock<std::mutex> g(lock_);
        if (!cv_.wait_for(g, timeout, [this] { return done_; })) {
            return false;
        }
        if (status != nullptr) {
            *status = status_;
        }
        return true;
    }
    bool done()
    {
        std::lock_guard<std::mutex> g(lock_);
        return done_;
    }

private:
    std::mutex lock_;
    std::condition_variable cv_;
    bool done_ = false;
    NDIS_STATUS status_ = NDIS_STATUS_PENDING;
};

// When on, NdisOpenAdapterEx and NdisCloseAdapterEx answer NDIS_STATUS_PENDING and finish on a
// runtime worker thread through ProtocolOpenAdapterCompleteEx / ProtocolCloseAdapterCompleteEx,
// as NDIS may do: a protocol that assumes they are synchronous is caught (PS-05).
void set_pend_open_close(bool pend) noexcept;
bool pend_open_close() noexcept;

// Runs `fn` later on a dispatcher worker thread at PASSIVE_LEVEL (as NDIS finishes pended work
// on a thread of its own). False, and nothing queued, when no work item can be had: the caller
// then does the work itself.
bool run_on_worker(std::function<void()> fn);
// Waits (control_timeout()) for an operation a driver pended; on timeout reports it (ST-21,
// naming `who` and `object`) and returns false.
bool wait_for(completion &c, NDIS_STATUS *status, const char *what, const std::string &who,
              const void *object = nullptr);

// Waits (polling) until `counter` is zero; false when `timeout` passed first.
bool wait_zero(std::atomic<std::int64_t> &counter, std::chrono::milliseconds timeout);

// How long the control thread waits for a driver to finish a pended operation.
std::chrono::milliseconds control_timeout() noexcept;
void set_control_timeout(std::chrono::milliseconds timeout) noexcept;

// NDIS_OID_REQUEST.NdisReserved (NDIS's own bytes) as the pointer slots the runtime keeps there,
// in one place: the binding a request came from (datapath.cpp), the wrapper a filter OID
// becomes on its way down (loopback.cpp), and the marker of the runtime's own requests
// (reset_power.cpp).
namespace oid_slot {
inline constexpr std::size_t binding = 0;
inline constexpr std::size_t filter_magic = 1;
inline constexpr std::size_t filter_wrapper = 2;
inline constexpr std::size_t runtime_marker = 5;
inline constexpr std::size_t runtime_request = 6;
} // namespace oid_slot
inline PVOID *oid_reserved(PNDIS_OID_REQUEST r) noexcept
{
    static_assert(sizeof(r->NdisReserved) >= 7 * sizeof(PVOID));
    return reinterpret_cast<PVOID *>(r->NdisReserved);
}

// The adapter an NBL in flight was sent to (NdisReserved[1], NDIS's field; set while the
// verifier's checks are on). Atomic, because the watchdog reads it from its own thread.
inline std::atomic_ref<PVOID> sent_to(PNET_BUFFER_LIST nbl) noexcept
{
    return std::atomic_ref<PVOID>(nbl->NdisReserved[1]);
}

// ---- drivers --------------------------------------------------------------------------------

class miniport_driver {
public:
    handle_block handle; // NdisMiniportDriverHandle
    std::string name;    // service name
    const kernel::driver_identity *identity = nullptr;
    PDRIVER_OBJECT driver_object = nullptr;
    NDIS_HANDLE driver_context = nullptr;
    NDIS_MINIPORT_DRIVER_CHARACTERISTICS chars{};
    param_map params;
    std::vector<adapter *> adapters; // guarded by the stack lock

    NDIS_HANDLE ndis_handle() noexcept { return &handle; }
};

class protocol_driver {
public:
    handle_block handle; // NdisProtocolHandle
    std::string name;    // the registered Name (NDIS_PROTOCOL_DRIVER_CHARACTERISTICS.Name)
    std::string service; // the service name it was loaded as
    const kernel::driver_identity *identity = nullptr;
    NDIS_HANDLE driver_context = nullptr;
    NDIS_PROTOCOL_DRIVER_CHARACTERISTICS chars{};
    std::vector<WCHAR> name_storage;
    param_map params;
    std::vector<binding *> bindings; // guarded by the stack lock

    NDIS_HANDLE ndis_handle() noexcept { return &handle; }
};

// ---- adapters -------------------------------------------------------------------------------

enum class adapter_state : std::uint8_t {
    halted, initializing, paused, restarting, running, pausing, shutdown
};
const char *to_string(adapter_state s) noexcept;

class adapter {
public:
    handle_block handle; // NdisMiniportHandle
    miniport_driver *driver = nullptr;
    std::string name;    // the adapter instance name protocols see
    std::vector<WCHAR> name_storage;
    NDIS_STRING ndis_name{};
    param_map params;
    std::atomic<adapter_state> state{adapter_state::halted};

    // The handlers the runtime calls for this adapter and the context it passes them: the
    // driver's own (set at initialize: &driver->chars and the MiniportAdapterContext from
    // NdisMSetMiniportAttributes), unless a decorator (core/faulty) interposes on this adapter
    // with its own table and context. Every call into the miniport goes through these two.
    const NDIS_MINIPORT_DRIVER_CHARACTERISTICS *handlers = nullptr;
    NDIS_HANDLE context = nullptr; // MiniportAdapterContext (or the decorator's)
    faulty_adapter *decorator = nullptr; // set while core/faulty interposes (control thread)
    NET_IFINDEX if_index = 0;
    NET_LUID net_luid{};
    ULONG attribute_flags = 0;
    bool registration_set = false;
    bool general_set = false;
    NDIS_MEDIUM medium = NdisMedium802_3;
    NDIS_PHYSICAL_MEDIUM physical_medium{};
    ULONG mtu = 1500;
    ULONG64 max_xmit_speed = 0, xmit_speed = 0, max_rcv_speed = 0, rcv_speed = 0;
    std::atomic<NDIS_MEDIA_CONNECT_STATE> connect_state{MediaConnectStateUnknown};
    NDIS_MEDIA_DUPLEX_STATE duplex_state{};
    ULONG lookahead = 0, mac_options = 0, supported_filters = 0, max_multicast = 0;
    USHORT mac_length = 0;
    UCHAR permanent_mac[NDIS_MAX_PHYS_ADDRESS_LENGTH] = {};
    UCHAR current_mac[NDIS_MAX_PHYS_ADDRESS_LENGTH] = {};
    ULONG data_backfill = 0, context_backfill = 0;
    NET_IF_ACCESS_TYPE access_type{};
    NET_IF_DIRECTION_TYPE direction_type{};
    NET_IF_CONNECTION_TYPE connection_type{};
    NET_IFTYPE if_type = 0;
    BOOLEAN connector_present = FALSE;

    // Data path accounting: NBLs handed to MiniportSendNetBufferLists and not yet completed;
    // NBLs indicated without NDIS_RECEIVE_FLAGS_RESOURCES and not yet returned to the miniport.
    std::atomic<std::int64_t> sends_outstanding{0};
    std::atomic<std::int64_t> receives_outstanding{0};
    // Counters for reports.
    std::atomic<std::uint64_t> sent{0}, completed{0}, indicated{0}, returned{0};

    // The bindings that receive indications (running ones), read on the receive path.
    std::shared_mutex bindings_lock;
    std::vector<binding *> bindings; // every open binding (any state)
    adapter_filter filter;           // merged receive filter state, loopback (core/loopback.hpp)

    completion pause_done, restart_done, oid_done;
    std::atomic<bool> pause_pending{false}, restart_pending{false};
    bool in_initialize = false;

    // One control operation at a time per adapter (ST-07: no pause, restart, halt or power
    // request while another is in progress); a reset takes only reset_lock (ST-14: it may
    // overlap a pause). Recursive: a halt pauses first, a pause pauses the bindings above.
    std::recursive_mutex control_lock;
    std::mutex reset_lock;

    // Reset (ST-14 … ST-17). While `resetting`, new sends are completed by the runtime with
    // NDIS_STATUS_RESET_IN_PROGRESS; `reset_pending`: MiniportResetEx answered PENDING and
    // NdisMResetComplete has not come yet.
    std::atomic<bool> resetting{false}, reset_pending{false};
    std::atomic<bool> halting{false}; // inside MiniportHaltEx (the watchdog times it)
    completion reset_done;
    std::atomic<BOOLEAN> reset_addressing{FALSE};
    std::atomic<std::uint64_t> resets{0}, hangs{0};

    // Check-for-hang (ST-18): CheckForHangTimeInSeconds from the registration attributes; the
    // runtime's periodic timer while the adapter exists; runtime work items (resets started by
    // a hang) still holding the adapter, which a halt waits for.
    UINT check_for_hang_seconds = 0;
    NDIS_HANDLE check_for_hang_timer = nullptr;
    std::atomic<std::int64_t> deferred_in_flight{0};

    // Power (ST-19): the device state the last successful OID_PNP_SET_POWER set.
    std::atomic<NDIS_DEVICE_POWER_STATE> power{NdisDeviceStateD0};

    NDIS_HANDLE ndis_handle() noexcept { return &handle; }
    static adapter *from_handle(NDIS_HANDLE h) noexcept
    {
        return resolve<adapter>(h, handle_kind::adapter);
    }
};

// ---- bindings -------------------------------------------------------------------------------

enum class binding_state : std::uint8_t {
    unbound, opening, paused, restarting, running, pausing, closing
};
const char *to_string(binding_state s) noexcept;

class binding {
public:
    handle_block handle; // NdisBindingHandle
    protocol_driver *protocol = nullptr;
    adapter *target = nullptr;
    NDIS_HANDLE context = nullptr; // ProtocolBindingContext
    param_map params;
    std::atomic<binding_state> state{binding_state::unbound};
    std::atomic<ULONG> packet_filter{0}; // this binding's own filter (the miniport gets the OR)
    binding_filter filter;                // its multicast list (core/loopback.hpp)

    std::atomic<std::int64_t> sends_outstanding{0};
    std::atomic<std::int64_t> receives_outstanding{0}; // indicated, not yet returned
    // Calls into ProtocolReceiveNetBufferLists / ProtocolSendNetBufferListsComplete made by the
    // runtime itself (PAUSED completions) that have not returned yet: a pause waits for them.
    std::atomic<std::int64_t> upcalls_in_flight{0};
    std::atomic<std::uint64_t> sent{0}, completed{0}, received{0};

    completion pnp_done;   // NetEventPause / NetEventRestart answered PENDING
    completion open_done;  // a pended NdisOpenAdapterEx → ProtocolOpenAdapterCompleteEx returned
    completion close_done; // NdisCloseAdapterEx → ProtocolCloseAdapterCompleteEx
    std::atomic<bool> open_pended{false}, close_pended{false};
    completion unbind_done;
    handle_block unbind_context;

    NDIS_HANDLE ndis_handle() noexcept { return &handle; }
    static binding *from_handle(NDIS_HANDLE h) noexcept
    {
        return resolve<binding>(h, handle_kind::binding);
    }
};

// ---- the stack: every live driver, adapter and binding ---------------------------------------

struct stack_registry {
    std::recursive_mutex lock;
    std::vector<std::unique_ptr<miniport_driver>> miniports;
    std::vector<std::unique_ptr<protocol_driver>> protocols;
    std::vector<std::unique_ptr<adapter>> adapters;
    std::vector<std::unique_ptr<binding>> bindings;
};
stack_registry &registry();

// The service name the host is loading (set around DriverEntry, read by the registration
// calls so that a driver is known by its service name).
void set_loading_service(const std::string *name) noexcept;
const std::string *loading_service() noexcept;
// The [driver.params] of the driver being loaded: a driver registered during its DriverEntry
// gets them at once, so it can read them (NdisOpenConfigurationEx on its driver handle) there.
void set_loading_params(const param_map *params) noexcept;

miniport_driver *find_miniport(const std::string &service);
protocol_driver *find_protocol(const std::string &name); // by registered Name or service

// ---- registration and the driver-facing halves of control operations --------------------------

NDIS_STATUS register_miniport(PDRIVER_OBJECT driver_object, PUNICODE_STRING registry_path,
                              NDIS_HANDLE driver_context,
                              const NDIS_MINIPORT_DRIVER_CHARACTERISTICS *chars, NDIS_HANDLE *out);
NDIS_STATUS register_protocol(NDIS_HANDLE driver_context,
                              const NDIS_PROTOCOL_DRIVER_CHARACTERISTICS *chars, NDIS_HANDLE *out);
NDIS_STATUS set_attributes(adapter *a, const NDIS_MINIPORT_ADAPTER_ATTRIBUTES *attrs);
void restart_complete(adapter *a, NDIS_STATUS status);
void pause_complete(adapter *a);
void bind_complete(NDIS_HANDLE bind_context, NDIS_STATUS status);
NDIS_STATUS open_adapter(NDIS_HANDLE protocol_handle, NDIS_HANDLE binding_context,
                         PNDIS_OPEN_PARAMETERS open, NDIS_HANDLE bind_context,
                         NDIS_HANDLE *binding_handle);
void pnp_complete(binding *b, NDIS_STATUS status);
NDIS_STATUS close_adapter(binding *b);
void unbind_complete(NDIS_HANDLE unbind_context);

// The parameter table a configuration handle reads (adapter, driver or binding handle).
param_map *params_of_handle(NDIS_HANDLE handle) noexcept;

// ---- control operations (host thread, PASSIVE) ------------------------------------------------
// Each returns NDIS_STATUS_SUCCESS or the failure, after reporting anything a driver got wrong.

// MiniportInitializeEx; on success the adapter is Paused (ST-02).
NDIS_STATUS adapter_initialize(miniport_driver *driver, const std::string &name,
                               const param_map &params, adapter **out);
// MiniportRestart (Paused → Running).
NDIS_STATUS adapter_restart(adapter *a);
// MiniportPause after every binding is paused (Running → Paused); waits for sends and receives.
NDIS_STATUS adapter_pause(adapter *a);
// MiniportHaltEx (Paused, no bindings) and the adapter is gone.
NDIS_STATUS adapter_halt(adapter *a, NDIS_HALT_ACTION action = NdisHaltDeviceDisabled);

// ProtocolBindAdapterEx (the protocol opens the adapter inside it); the binding is Paused.
NDIS_STATUS bind(protocol_driver *p, adapter *a, const param_map &params, binding **out);
// NetEventRestart / NetEventPause to the protocol.
NDIS_STATUS binding_restart(binding *b);
NDIS_STATUS binding_pause(binding *b);
// ProtocolUnbindAdapterEx (the protocol closes the binding inside it); pauses first.
NDIS_STATUS unbind(binding *b);

// MiniportResetEx (ST-14 … ST-17): RESET_START up, the reset (waited for when pended), the
// packet filter and multicast list replayed after an addressing reset, RESET_END up. Sends made
// during the reset complete with NDIS_STATUS_RESET_IN_PROGRESS. Any state from Paused to Pausing;
// the adapter state does not change. NDIS_STATUS_NOT_SUPPORTED without a ResetHandlerEx.
NDIS_STATUS adapter_reset(adapter *a);
void reset_complete(adapter *a, NDIS_STATUS status, BOOLEAN addressing_reset);
// OID_PNP_SET_POWER to the miniport (ST-19), from the runtime; the adapter's state is left as it
// is (the host pauses the stack first, as NDIS 6 does: see power_cycle in src/host).
NDIS_STATUS adapter_set_power(adapter *a, NDIS_DEVICE_POWER_STATE state);
// MiniportShutdownEx (ST-23): from Paused, Restarting, Running or Pausing to Shutdown, which is
// terminal: nothing but the final halt at teardown reaches the adapter afterwards.
NDIS_STATUS adapter_shutdown(adapter *a, NDIS_SHUTDOWN_ACTION action = NdisShutdownPowerOff);
// Starts / stops the check-for-hang timer (adapter_initialize / adapter_halt call these).
void check_for_hang_start(adapter *a);
void check_for_hang_stop(adapter *a);
// Overrides every adapter's check-for-hang period (0: the adapter's own, default 2 s). Tests.
void set_check_for_hang_interval(std::chrono::milliseconds interval) noexcept;

// An OID request the runtime itself makes to a miniport (not on behalf of a binding); waits for
// a pended one. Used for OID_PNP_SET_POWER and the replay after an addressing reset.
NDIS_STATUS runtime_oid(adapter *a, NDIS_REQUEST_TYPE type, NDIS_OID oid, void *buffer,
                        ULONG length);
// True (and the request finished) when `request` was one of runtime_oid's.
bool runtime_oid_complete(adapter *a, PNDIS_OID_REQUEST request, NDIS_STATUS status);
// A status indication the runtime itself makes to every open binding of `a` (RESET_START …).
void indicate_runtime_status(adapter *a, NDIS_STATUS code, void *buffer, ULONG length);

// What NdisMDeregisterMiniportDriver / NdisDeregisterProtocolDriver do: unbind and halt
// whatever the driver still has, then forget it. (The host runs the driver's unload routine,
// which is what calls the deregister function.)
void miniport_driver_forget(miniport_driver *d);
void protocol_driver_forget(protocol_driver *p);

// ---- data path (any thread) -------------------------------------------------------------------

void send(binding *b, PNET_BUFFER_LIST chain, NDIS_PORT_NUMBER port, ULONG flags);
void send_complete(adapter *a, PNET_BUFFER_LIST chain, ULONG flags);
// send_complete without the decorator hook: how core/faulty hands completions on.
void send_complete_direct(adapter *a, PNET_BUFFER_LIST chain, ULONG flags);
void indicate_receive(adapter *a, PNET_BUFFER_LIST chain, NDIS_PORT_NUMBER port, ULONG count,
                      ULONG flags);
void return_nbls(binding *b, PNET_BUFFER_LIST chain, ULONG flags);
NDIS_STATUS oid_request(binding *b, PNDIS_OID_REQUEST request);
void oid_complete(adapter *a, PNDIS_OID_REQUEST request, NDIS_STATUS status);
void indicate_status(adapter *a, PNDIS_STATUS_INDICATION indication);

// Completes a chain back to its originators with `status` on every NBL (the runtime's own
// completions: paused, unbound …). Splits by SourceHandle like a miniport completion.
void complete_to_originators(PNET_BUFFER_LIST chain, NDIS_STATUS status);

} // namespace ndis::core
