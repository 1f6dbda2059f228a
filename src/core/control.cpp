// core/control.cpp — registration and the control operations of stack.hpp, in NDIS order.
//
// Bring-up: NdisMRegisterMiniportDriver / NdisRegisterProtocolDriver (from DriverEntry) →
// MiniportInitializeEx (adapter Paused, ST-02) → ProtocolBindAdapterEx (the protocol opens the
// adapter inside it, binding Paused, PS-06) → MiniportRestart → NetEventRestart (ST-20: restart
// bottom-up). Tear-down: NetEventPause (protocols first) → MiniportPause → ProtocolUnbindAdapterEx
// (the protocol closes inside it) → MiniportHaltEx → unload.
//
// Every step runs on the host's control thread at PASSIVE_LEVEL and may be answered
// NDIS_STATUS_PENDING; the matching Ndis…Complete call (from any thread) wakes the control
// thread, which waits at most control_timeout() and reports a driver that never answers
// (ST-21). Illegal requests (a complete with nothing pending, an open outside bind, a restart
// of a running adapter) are reported with their SPEC IDs and refused.
#include "core/stack.hpp"

#include "core/faulty.hpp"
#include "kernel/workitem.hpp"
#include "verifier/verifier.hpp"

#include <algorithm>
#include <functional>
#include <thread>

namespace ndis::core {

using verifier::failure;

namespace {

std::atomic<std::int64_t> g_control_timeout_ms{10000};
thread_local const std::string *t_loading_service = nullptr;
thread_local const param_map *t_loading_params = nullptr;
std::atomic<ULONG> g_next_if_index{1};
std::atomic<bool> g_pend_open_close{false};

// A bind in progress: the BindContext the protocol passes to NdisOpenAdapterEx and
// NdisCompleteBindAdapterEx.
struct bind_operation {
    handle_block handle;
    protocol_driver *protocol = nullptr;
    adapter *target = nullptr;
    const param_map *params = nullptr;
    binding *opened = nullptr;
    std::atomic<bool> in_bind{false};
    completion done;
};

std::vector<WCHAR> to_wide(const std::string &s)
{
    std::vector<WCHAR> w;
    w.reserve(s.size() + 1);
    for (unsigned char c : s) {
        w.push_back(c); // names are ASCII (topology files are checked)
    }
    w.push_back(0);
    return w;
}

NDIS_STRING ndis_string(std::vector<WCHAR> &storage)
{
    NDIS_STRING s{};
    s.Buffer = storage.data();
    s.Length = static_cast<USHORT>((storage.size() - 1) * sizeof(WCHAR));
    s.MaximumLength = static_cast<USHORT>(storage.size() * sizeof(WCHAR));
    return s;
}

std::string narrow(const NDIS_STRING &s)
{
    std::string out;
    if (s.Buffer == nullptr) {
        return out;
    }
    for (USHORT i = 0; i < s.Length / sizeof(WCHAR); ++i) {
        const WCHAR c = s.Buffer[i];
        out.push_back(c < 0x80 ? static_cast<char>(c) : '?');
    }
    return out;
}

// Waits until `counter` drops to zero; reports and returns false on timeout.
bool drain(std::atomic<std::int64_t> &counter, const char *what, const std::string &who)
{
    if (wait_zero(counter, control_timeout())) {
        return true;
    }
    verifier::report(failure::operation_timed_out, what, nullptr,
                     "{} still holds {} NBL(s) after {} ms", who,
                     counter.load(std::memory_order_relaxed), control_timeout().count());
    return false;
}

void check_passive(const char *api)
{
    if (kernel::current_irql() != PASSIVE_LEVEL) {
        verifier::report(failure::irql_too_high, api, nullptr,
                         "must be called at PASSIVE_LEVEL, caller is at IRQL {}",
                         static_cast<int>(kernel::current_irql()));
    }
}

template <typename T>
void erase_ptr(std::vector<T *> &v, T *p)
{
    v.erase(std::remove(v.begin(), v.end(), p), v.end());
}

template <typename T>
void erase_owned(std::vector<std::unique_ptr<T>> &v, T *p)
{
    v.erase(std::remove_if(v.begin(), v.end(), [p](const auto &u) { return u.get() == p; }),
            v.end());
}

} // namespace

void set_pend_open_close(bool pend) noexcept
{
    g_pend_open_close.store(pend, std::memory_order_relaxed);
}
bool pend_open_close() noexcept
{
    return g_pend_open_close.load(std::memory_order_relaxed);
}

bool run_on_worker(std::function<void()> fn)
{
    struct job {
        std::function<void()> fn;
        NDIS_HANDLE item = nullptr;
    };
    kernel::driver_scope runtime(nullptr); // the runtime's work item, not the calling driver's
    NDIS_HANDLE item = kernel::workitem_allocate(nullptr);
    if (item == nullptr) {
        return false;
    }
    auto *j = new (std::nothrow) job{std::move(fn), item};
    if (j == nullptr) {
        kernel::workitem_free(item);
        return false;
    }
    kernel::workitem_queue(
        item,
        [](PVOID context, NDIS_HANDLE) {
            auto *jb = static_cast<job *>(context);
            jb->fn();
            kernel::workitem_free(jb->item);
            delete jb;
        },
        j);
    return true;
}

// Waits for a pended operation; reports and returns false on timeout.
bool wait_for(completion &c, NDIS_STATUS *status, const char *what, const std::string &who,
              const void *object)
{
    if (c.wait(control_timeout(), status)) {
        return true;
    }
    verifier::report(failure::operation_timed_out, what, object,
                     "{} pended the operation and did not complete it within {} ms (0x7C/0x25)",
                     who, control_timeout().count());
    return false;
}

bool wait_zero(std::atomic<std::int64_t> &counter, std::chrono::milliseconds timeout)
{
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (counter.load(std::memory_order_acquire) > 0) {
        if (std::chrono::steady_clock::now() > deadline) {
            return false;
        }
        std::this_thread::sleep_for(std::chrono::microseconds(200));
    }
    return true;
}

std::chrono::milliseconds control_timeout() noexcept
{
    return std::chrono::milliseconds(g_control_timeout_ms.load(std::memory_order_relaxed));
}
void set_control_timeout(std::chrono::milliseconds timeout) noexcept
{
    g_control_timeout_ms.store(timeout.count(), std::memory_order_relaxed);
}

stack_registry &registry()
{
    static stack_registry *r = new stack_registry; // lives until process exit
    return *r;
}

void set_loading_service(const std::string *name) noexcept
{
    t_loading_service = name;
}
const std::string *loading_service() noexcept
{
    return t_loading_service;
}
void set_loading_params(const param_map *params) noexcept
{
    t_loading_params = params;
}

const char *to_string(adapter_state s) noexcept
{
    switch (s) {
    case adapter_state::halted: return "Halted";
    case adapter_state::initializing: return "Initializing";
    case adapter_state::paused: return "Paused";
    case adapter_state::restarting: return "Restarting";
    case adapter_state::running: return "Running";
    case adapter_state::pausing: return "Pausing";
    case adapter_state::shutdown: return "Shutdown";
    }
    return "?";
}

const char *to_string(binding_state s) noexcept
{
    switch (s) {
    case binding_state::unbound: return "Unbound";
    case binding_state::opening: return "Opening";
    case binding_state::paused: return "Paused";
    case binding_state::restarting: return "Restarting";
    case binding_state::running: return "Running";
    case binding_state::pausing: return "Pausing";
    case binding_state::closing: return "Closing";
    }
    return "?";
}

miniport_driver *find_miniport(const std::string &service)
{
    auto &r = registry();
    std::lock_guard<std::recursive_mutex> g(r.lock);
    for (auto &m : r.miniports) {
        if (strcasecmp(m->name.c_str(), service.c_str()) == 0) {
            return m.get();
        }
    }
    return nullptr;
}

protocol_driver *find_protocol(const std::string &name)
{
    auto &r = registry();
    std::lock_guard<std::recursive_mutex> g(r.lock);
    for (auto &p : r.protocols) {
        if (strcasecmp(p->name.c_str(), name.c_str()) == 0 ||
            strcasecmp(p->service.c_str(), name.c_str()) == 0) {
            return p.get();
        }
    }
    return nullptr;
}

// ================================ registration ===================================================

NDIS_STATUS register_miniport(PDRIVER_OBJECT driver_object, PUNICODE_STRING registry_path,
                              NDIS_HANDLE driver_context,
                              const NDIS_MINIPORT_DRIVER_CHARACTERISTICS *c, NDIS_HANDLE *out)
{
    constexpr const char *api = "NdisMRegisterMiniportDriver";
    check_passive(api);
    if (out == nullptr || c == nullptr) {
        verifier::report(failure::null_argument, api, c,
                         "MiniportDriverCharacteristics or NdisMiniportDriverHandle is NULL");
        return NDIS_STATUS_INVALID_PARAMETER;
    }
    *out = nullptr;
    std::size_t size = 0;
    switch (c->Header.Revision) {
    case NDIS_MINIPORT_DRIVER_CHARACTERISTICS_REVISION_1:
        size = NDIS_SIZEOF_MINIPORT_DRIVER_CHARACTERISTICS_REVISION_1;
        break;
    case NDIS_MINIPORT_DRIVER_CHARACTERISTICS_REVISION_2:
        size = NDIS_SIZEOF_MINIPORT_DRIVER_CHARACTERISTICS_REVISION_2;
        break;
    case NDIS_MINIPORT_DRIVER_CHARACTERISTICS_REVISION_3:
        size = NDIS_SIZEOF_MINIPORT_DRIVER_CHARACTERISTICS_REVISION_3;
        break;
    default:
        break;
    }
    if (c->Header.Type != NDIS_OBJECT_TYPE_MINIPORT_DRIVER_CHARACTERISTICS || size == 0 ||
        c->Header.Size < size) {
        verifier::report(failure::miniport_characteristics_bad, api, c,
                         "Header {{Type 0x{:02x}, Revision {}, Size {}}} is not a miniport "
                         "driver characteristics header of revision 1, 2 or 3",
                         c->Header.Type, c->Header.Revision, c->Header.Size);
        return NDIS_STATUS_BAD_CHARACTERISTICS;
    }
    if (c->MajorNdisVersion != 6) {
        verifier::report(failure::ndis_version_bad, api, c,
                         "MajorNdisVersion {} (minor {}): OpenNDIS runs NDIS 6 miniports",
                         c->MajorNdisVersion, c->MinorNdisVersion);
        return NDIS_STATUS_BAD_VERSION;
    }
    std::string missing;
    auto need = [&missing](const void *fn, const char *name) {
        if (fn == nullptr) {
            missing += missing.empty() ? name : std::string(", ") + name;
        }
    };
    need(reinterpret_cast<const void *>(c->InitializeHandlerEx), "InitializeHandlerEx");
    need(reinterpret_cast<const void *>(c->HaltHandlerEx), "HaltHandlerEx");
    need(reinterpret_cast<const void *>(c->PauseHandler), "PauseHandler");
    need(reinterpret_cast<const void *>(c->RestartHandler), "RestartHandler");
    need(reinterpret_cast<const void *>(c->OidRequestHandler), "OidRequestHandler");
    need(reinterpret_cast<const void *>(c->SendNetBufferListsHandler), "SendNetBufferListsHandler");
    need(reinterpret_cast<const void *>(c->ReturnNetBufferListsHandler),
         "ReturnNetBufferListsHandler");
    need(reinterpret_cast<const void *>(c->DevicePnPEventNotifyHandler),
         "DevicePnPEventNotifyHandler");
    need(reinterpret_cast<const void *>(c->ShutdownHandlerEx), "ShutdownHandlerEx");
    need(reinterpret_cast<const void *>(c->CancelOidRequestHandler), "CancelOidRequestHandler");
    if (c->CheckForHangHandlerEx != nullptr) {
        need(reinterpret_cast<const void *>(c->ResetHandlerEx), "ResetHandlerEx");
    }
    if (!missing.empty()) {
        verifier::report(failure::miniport_characteristics_bad, api, c,
                         "required handlers missing: {} (CancelSendHandler may be NULL)",
                         missing);
        return NDIS_STATUS_BAD_CHARACTERISTICS;
    }
    auto d = std::make_unique<miniport_driver>();
    d->handle.set(handle_kind::miniport_driver, d.get());
    if (const std::string *svc = loading_service()) {
        d->name = *svc;
    } else if (registry_path != nullptr && registry_path->Buffer != nullptr) {
        const std::string path = narrow(*registry_path);
        d->name = path.substr(path.find_last_of('\\') + 1);
    } else {
        d->name = "miniport";
    }
    d->identity = kernel::intern_driver(d->name);
    if (t_loading_params != nullptr) {
        d->params = *t_loading_params;
    }
    d->driver_object = driver_object;
    d->driver_context = driver_context;
    std::memcpy(&d->chars, c, size);
    d->chars.Header.Size = static_cast<USHORT>(sizeof(d->chars));
    *out = d->ndis_handle();
    auto &r = registry();
    std::lock_guard<std::recursive_mutex> g(r.lock);
    r.miniports.push_back(std::move(d));
    return NDIS_STATUS_SUCCESS;
}

NDIS_STATUS register_protocol(NDIS_HANDLE driver_context,
                              const NDIS_PROTOCOL_DRIVER_CHARACTERISTICS *c, NDIS_HANDLE *out)
{
    constexpr const char *api = "NdisRegisterProtocolDriver";
    check_passive(api);
    if (out == nullptr || c == nullptr) {
        verifier::report(failure::null_argument, api, c,
                         "ProtocolCharacteristics or NdisProtocolHandle is NULL");
        return NDIS_STATUS_INVALID_PARAMETER;
    }
    *out = nullptr;
    std::size_t size = 0;
    if (c->Header.Revision == NDIS_PROTOCOL_DRIVER_CHARACTERISTICS_REVISION_1) {
        size = NDIS_SIZEOF_PROTOCOL_DRIVER_CHARACTERISTICS_REVISION_1;
    } else if (c->Header.Revision == NDIS_PROTOCOL_DRIVER_CHARACTERISTICS_REVISION_2) {
        size = NDIS_SIZEOF_PROTOCOL_DRIVER_CHARACTERISTICS_REVISION_2;
    }
    if (c->Header.Type != NDIS_OBJECT_TYPE_PROTOCOL_DRIVER_CHARACTERISTICS || size == 0 ||
        c->Header.Size < size) {
        verifier::report(failure::protocol_characteristics_bad, api, c,
                         "Header {{Type 0x{:02x}, Revision {}, Size {}}} is not a protocol "
                         "driver characteristics header of revision 1 or 2",
                         c->Header.Type, c->Header.Revision, c->Header.Size);
        return NDIS_STATUS_BAD_CHARACTERISTICS;
    }
    if (c->MajorNdisVersion != 6) {
        verifier::report(failure::protocol_ndis_version_bad, api, c,
                         "MajorNdisVersion {} (minor {}): OpenNDIS runs NDIS 6 protocols",
                         c->MajorNdisVersion, c->MinorNdisVersion);
        return NDIS_STATUS_BAD_VERSION;
    }
    std::string missing;
    auto need = [&missing](const void *fn, const char *name) {
        if (fn == nullptr) {
            missing += missing.empty() ? name : std::string(", ") + name;
        }
    };
    need(reinterpret_cast<const void *>(c->BindAdapterHandlerEx), "BindAdapterHandlerEx");
    need(reinterpret_cast<const void *>(c->UnbindAdapterHandlerEx), "UnbindAdapterHandlerEx");
    need(reinterpret_cast<const void *>(c->OpenAdapterCompleteHandlerEx),
         "OpenAdapterCompleteHandlerEx");
    need(reinterpret_cast<const void *>(c->CloseAdapterCompleteHandlerEx),
         "CloseAdapterCompleteHandlerEx");
    need(reinterpret_cast<const void *>(c->NetPnPEventHandler), "NetPnPEventHandler");
    need(reinterpret_cast<const void *>(c->OidRequestCompleteHandler), "OidRequestCompleteHandler");
    need(reinterpret_cast<const void *>(c->ReceiveNetBufferListsHandler),
         "ReceiveNetBufferListsHandler");
    need(reinterpret_cast<const void *>(c->SendNetBufferListsCompleteHandler),
         "SendNetBufferListsCompleteHandler");
    if (c->Name.Buffer == nullptr || c->Name.Length == 0) {
        missing += missing.empty() ? "Name" : ", Name";
    }
    if (!missing.empty()) {
        verifier::report(failure::protocol_characteristics_bad, api, c,
                         "required members missing: {}", missing);
        return NDIS_STATUS_BAD_CHARACTERISTICS;
    }
    auto p = std::make_unique<protocol_driver>();
    p->handle.set(handle_kind::protocol_driver, p.get());
    p->name = narrow(c->Name);
    p->service = loading_service() != nullptr ? *loading_service() : p->name;
    if (find_protocol(p->name) != nullptr) {
        verifier::report(failure::protocol_characteristics_bad, api, c,
                         "a protocol named '{}' is already registered", p->name);
        return NDIS_STATUS_FAILURE;
    }
    p->identity = kernel::intern_driver(p->service);
    if (t_loading_params != nullptr) {
        p->params = *t_loading_params;
    }
    p->driver_context = driver_context;
    std::memcpy(&p->chars, c, size);
    p->chars.Header.Size = static_cast<USHORT>(sizeof(p->chars));
    p->name_storage = to_wide(p->name);
    p->chars.Name = ndis_string(p->name_storage);
    *out = p->ndis_handle();
    auto &r = registry();
    std::lock_guard<std::recursive_mutex> g(r.lock);
    r.protocols.push_back(std::move(p));
    return NDIS_STATUS_SUCCESS;
}

// ================================ adapters =======================================================

NDIS_STATUS set_attributes(adapter *a, const NDIS_MINIPORT_ADAPTER_ATTRIBUTES *attrs)
{
    constexpr const char *api = "NdisMSetMiniportAttributes";
    if (attrs == nullptr) {
        verifier::report(failure::attributes_bad, api, a, "MiniportAttributes is NULL");
        return NDIS_STATUS_INVALID_PARAMETER;
    }
    if (!a->in_initialize) {
        verifier::report(failure::attributes_bad, api, attrs,
                         "adapter '{}' sets attributes outside MiniportInitializeEx", a->name);
        return NDIS_STATUS_INVALID_PARAMETER;
    }
    const NDIS_OBJECT_HEADER &h = attrs->Header;
    if (h.Type == NDIS_OBJECT_TYPE_MINIPORT_ADAPTER_REGISTRATION_ATTRIBUTES) {
        const auto &r = attrs->RegistrationAttributes;
        if (h.Size < NDIS_SIZEOF_MINIPORT_ADAPTER_REGISTRATION_ATTRIBUTES_REVISION_1) {
            verifier::report(failure::attributes_bad, api, attrs,
                             "registration attributes Size {} is too small", h.Size);
            return NDIS_STATUS_INVALID_PARAMETER;
        }
        a->context = r.MiniportAdapterContext;
        a->attribute_flags = r.AttributeFlags;
        a->check_for_hang_seconds = r.CheckForHangTimeInSeconds;
        a->registration_set = true;
        return NDIS_STATUS_SUCCESS;
    }
    if (h.Type == NDIS_OBJECT_TYPE_MINIPORT_ADAPTER_GENERAL_ATTRIBUTES) {
        if (!a->registration_set) {
            verifier::report(failure::attributes_bad, api, attrs,
                             "adapter '{}' sets general attributes before registration "
                             "attributes",
                             a->name);
            return NDIS_STATUS_INVALID_PARAMETER;
        }
        if (h.Size < NDIS_SIZEOF_MINIPORT_ADAPTER_GENERAL_ATTRIBUTES_REVISION_1) {
            verifier::report(failure::attributes_bad, api, attrs,
                             "general attributes Size {} is too small", h.Size);
            return NDIS_STATUS_INVALID_PARAMETER;
        }
        const auto &g = attrs->GeneralAttributes;
        if (g.MacAddressLength > NDIS_MAX_PHYS_ADDRESS_LENGTH) {
            verifier::report(failure::attributes_bad, api, attrs, "MacAddressLength {} > {}",
                             g.MacAddressLength, NDIS_MAX_PHYS_ADDRESS_LENGTH);
            return NDIS_STATUS_INVALID_PARAMETER;
        }
        a->medium = g.MediaType;
        a->physical_medium = g.PhysicalMediumType;
        a->mtu = g.MtuSize;
        a->max_xmit_speed = g.MaxXmitLinkSpeed;
        a->xmit_speed = g.XmitLinkSpeed;
        a->max_rcv_speed = g.MaxRcvLinkSpeed;
        a->rcv_speed = g.RcvLinkSpeed;
        a->connect_state.store(g.MediaConnectState, std::memory_order_relaxed);
        a->duplex_state = g.MediaDuplexState;
        a->lookahead = g.LookaheadSize;
        a->mac_options = g.MacOptions;
        a->supported_filters = g.SupportedPacketFilters;
        a->max_multicast = g.MaxMulticastListSize;
        a->mac_length = g.MacAddressLength;
        std::memcpy(a->permanent_mac, g.PermanentMacAddress, sizeof a->permanent_mac);
        std::memcpy(a->current_mac, g.CurrentMacAddress, sizeof a->current_mac);
        a->access_type = g.AccessType;
        a->direction_type = g.DirectionType;
        a->connection_type = g.ConnectionType;
        a->if_type = g.IfType;
        a->connector_present = g.IfConnectorPresent;
        a->data_backfill = g.DataBackFillSize;
        a->context_backfill = g.ContextBackFillSize;
        a->general_set = true;
        return NDIS_STATUS_SUCCESS;
    }
    // Other attribute kinds (offload, hardware assist, 802.11 …) are accepted and not used yet.
    return NDIS_STATUS_SUCCESS;
}

NDIS_STATUS adapter_initialize(miniport_driver *driver, const std::string &name,
                               const param_map &params, adapter **out)
{
    constexpr const char *api = "MiniportInitializeEx";
    *out = nullptr;
    auto owned = std::make_unique<adapter>();
    adapter *a = owned.get();
    a->handle.set(handle_kind::adapter, a);
    a->driver = driver;
    a->handlers = &driver->chars;
    a->name = name;
    a->name_storage = to_wide(name);
    a->ndis_name = ndis_string(a->name_storage);
    a->params = params;
    {
        auto &r = registry();
        std::lock_guard<std::recursive_mutex> g(r.lock);
        r.adapters.push_back(std::move(owned));
    }
    NDIS_MINIPORT_INIT_PARAMETERS ip{};
    ip.Header.Type = NDIS_OBJECT_TYPE_MINIPORT_INIT_PARAMETERS;
    ip.Header.Revision = NDIS_MINIPORT_INIT_PARAMETERS_REVISION_1;
    ip.Header.Size = NDIS_SIZEOF_MINIPORT_INIT_PARAMETERS_REVISION_1;
    ip.IfIndex = a->if_index = g_next_if_index.fetch_add(1);
    a->net_luid.Info.IfType = IF_TYPE_ETHERNET_CSMACD;
    a->net_luid.Info.NetLuidIndex = a->if_index;
    ip.NetLuid = a->net_luid;
    a->state.store(adapter_state::initializing);
    a->in_initialize = true;
    NDIS_STATUS status;
    {
        kernel::driver_scope scope(driver->identity);
        status = driver->chars.InitializeHandlerEx(a->ndis_handle(), driver->driver_context, &ip);
    }
    a->in_initialize = false;
    if (status == NDIS_STATUS_SUCCESS && !a->registration_set) {
        verifier::report(failure::attributes_bad, api, a,
                         "adapter '{}' initialized without registration attributes "
                         "(NdisMSetMiniportAttributes); it is halted",
                         name);
        {
            kernel::driver_scope scope(driver->identity);
            driver->chars.HaltHandlerEx(a->context, NdisHaltDeviceInitializationFailed);
        }
        status = NDIS_STATUS_FAILURE;
    }
    if (status != NDIS_STATUS_SUCCESS) {
        a->state.store(adapter_state::halted); // ST-02: failure returns to Halted
        auto &r = registry();
        std::lock_guard<std::recursive_mutex> g(r.lock);
        a->handle.clear();
        erase_owned(r.adapters, a);
        return status == NDIS_STATUS_PENDING ? NDIS_STATUS_FAILURE : status;
    }
    a->state.store(adapter_state::paused);
    {
        auto &r = registry();
        std::lock_guard<std::recursive_mutex> g(r.lock);
        driver->adapters.push_back(a);
    }
    check_for_hang_start(a); // ST-18
    *out = a;
    return NDIS_STATUS_SUCCESS;
}

NDIS_STATUS adapter_restart(adapter *a)
{
    constexpr const char *api = "MiniportRestart";
    std::lock_guard<std::recursive_mutex> control(a->control_lock); // ST-07
    if (a->state.load() != adapter_state::paused) {
        verifier::report(failure::state_transition_illegal, api, a,
                         "adapter '{}' cannot restart from {} (only from Paused)", a->name,
                         to_string(a->state.load()));
        return NDIS_STATUS_INVALID_STATE;
    }
    a->restart_done.reset();
    a->restart_pending.store(true);
    a->state.store(adapter_state::restarting);
    NDIS_MINIPORT_RESTART_PARAMETERS rp{};
    rp.Header.Type = NDIS_OBJECT_TYPE_DEFAULT;
    rp.Header.Revision = NDIS_MINIPORT_RESTART_PARAMETERS_REVISION_1;
    rp.Header.Size = NDIS_SIZEOF_MINIPORT_RESTART_PARAMETERS_REVISION_1;
    NDIS_STATUS status;
    {
        kernel::driver_scope scope(a->driver->identity);
        status = a->handlers->RestartHandler(a->context, &rp);
    }
    if (status == NDIS_STATUS_PENDING) {
        if (!wait_for(a->restart_done, &status, api, "adapter '" + a->name + "'")) {
            status = NDIS_STATUS_FAILURE;
        }
    } else {
        a->restart_pending.store(false);
    }
    // ST-09: failure leaves the adapter Paused.
    a->state.store(status == NDIS_STATUS_SUCCESS ? adapter_state::running : adapter_state::paused);
    return status;
}

void restart_complete(adapter *a, NDIS_STATUS status)
{
    if (a->decorator != nullptr && faulty_take_restart_complete(a, status)) {
        return; // the decorator pended the restart and completes it itself
    }
    if (!a->restart_pending.exchange(false)) {
        verifier::report(failure::restart_complete_unexpected, "NdisMRestartComplete", a,
                         "adapter '{}' completes a restart that is not pending (0x7C/0x1F)",
                         a->name);
        return;
    }
    a->restart_done.complete(status);
}

NDIS_STATUS adapter_pause(adapter *a)
{
    constexpr const char *api = "MiniportPause";
    std::lock_guard<std::recursive_mutex> control(a->control_lock); // ST-07
    // ST-20: the bindings above pause first.
    std::vector<binding *> above;
    {
        std::shared_lock<std::shared_mutex> g(a->bindings_lock);
        above = a->bindings;
    }
    for (binding *b : above) {
        if (b->state.load() == binding_state::running) {
            binding_pause(b);
        }
    }
    if (a->state.load() != adapter_state::running) {
        verifier::report(failure::state_transition_illegal, api, a,
                         "adapter '{}' cannot pause from {} (only from Running)", a->name,
                         to_string(a->state.load()));
        return NDIS_STATUS_INVALID_STATE;
    }
    a->pause_done.reset();
    a->pause_pending.store(true);
    a->state.store(adapter_state::pausing);
    NDIS_MINIPORT_PAUSE_PARAMETERS pp{};
    pp.Header.Type = NDIS_OBJECT_TYPE_DEFAULT;
    pp.Header.Revision = NDIS_MINIPORT_PAUSE_PARAMETERS_REVISION_1;
    pp.Header.Size = NDIS_SIZEOF_MINIPORT_PAUSE_PARAMETERS_REVISION_1;
    pp.PauseReason = NDIS_PAUSE_NDIS_INTERNAL;
    NDIS_STATUS status;
    {
        kernel::driver_scope scope(a->driver->identity);
        status = a->handlers->PauseHandler(a->context, &pp);
    }
    if (status == NDIS_STATUS_PENDING) {
        wait_for(a->pause_done, &status, api, "adapter '" + a->name + "'");
    } else {
        a->pause_pending.store(false);
        if (status != NDIS_STATUS_SUCCESS) {
            verifier::report(failure::pause_return_bad, api, a,
                             "adapter '{}': MiniportPause returned 0x{:08x}; a miniport cannot "
                             "fail a pause (only SUCCESS or PENDING)",
                             a->name, static_cast<ULONG>(status));
        }
    }
    // ST-05: paused only when every send is completed and every receive returned.
    const std::string who = "adapter '" + a->name + "'";
    drain(a->sends_outstanding, api, who);
    drain(a->receives_outstanding, api, who + " (indicated receives)");
    a->state.store(adapter_state::paused);
    return NDIS_STATUS_SUCCESS;
}

void pause_complete(adapter *a)
{
    if (a->decorator != nullptr && faulty_take_pause_complete(a)) {
        return; // the decorator pended the pause and completes it itself
    }
    if (!a->pause_pending.exchange(false)) {
        verifier::report(failure::pause_complete_unexpected, "NdisMPauseComplete", a,
                         "adapter '{}' completes a pause that is not pending (0x7C/0x1F)",
                         a->name);
        return;
    }
    a->pause_done.complete(NDIS_STATUS_SUCCESS);
}

NDIS_STATUS adapter_halt(adapter *a, NDIS_HALT_ACTION action)
{
    constexpr const char *api = "MiniportHaltEx";
    std::unique_lock<std::recursive_mutex> control(a->control_lock); // ST-07
    if (a->state.load() == adapter_state::running) {
        adapter_pause(a);
    }
    {
        std::shared_lock<std::shared_mutex> g(a->bindings_lock);
        if (!a->bindings.empty()) {
            verifier::report(failure::state_transition_illegal, api, a,
                             "adapter '{}' cannot halt with {} binding(s) open", a->name,
                             a->bindings.size());
            return NDIS_STATUS_INVALID_STATE;
        }
    }
    // ST-12: only from Paused. A shut-down adapter (ST-23) is also halted at teardown, so that
    // the driver can free what it allocated — the one call that reaches it after Shutdown.
    const adapter_state st = a->state.load();
    if (st != adapter_state::paused && st != adapter_state::shutdown) {
        verifier::report(failure::state_transition_illegal, api, a,
                         "adapter '{}' cannot halt from {} (ST-12: only from Paused)", a->name,
                         to_string(st));
        return NDIS_STATUS_INVALID_STATE;
    }
    // ST-12: never while sends are outstanding; a reset or hang check in progress finishes first.
    check_for_hang_stop(a);
    { std::lock_guard<std::mutex> no_reset(a->reset_lock); }
    if (a->sends_outstanding.load() > 0 || a->receives_outstanding.load() > 0) {
        verifier::report(failure::halt_with_outstanding, api, a,
                         "adapter '{}' is halted with {} send(s) and {} indicated receive(s) "
                         "outstanding (ST-12)",
                         a->name, a->sends_outstanding.load(), a->receives_outstanding.load());
    }
    a->halting.store(true);
    {
        kernel::driver_scope scope(a->driver->identity);
        a->handlers->HaltHandlerEx(a->context, action);
    }
    a->halting.store(false);
    a->state.store(adapter_state::halted);
    control.unlock(); // the adapter (and its lock) goes away now
    auto &r = registry();
    std::lock_guard<std::recursive_mutex> g(r.lock);
    erase_ptr(a->driver->adapters, a);
    a->handle.clear();
    erase_owned(r.adapters, a);
    return NDIS_STATUS_SUCCESS;
}

// ================================ bindings =======================================================

NDIS_STATUS bind(protocol_driver *p, adapter *a, const param_map &params, binding **out)
{
    constexpr const char *api = "ProtocolBindAdapterEx";
    std::lock_guard<std::recursive_mutex> control(a->control_lock); // ST-07
    *out = nullptr;
    bind_operation op;
    op.handle.set(handle_kind::bind_context, &op);
    op.protocol = p;
    op.target = a;
    op.params = &params;
    NDIS_STRING protocol_section = p->chars.Name;
    NDIS_BIND_PARAMETERS bp{};
    bp.Header.Type = NDIS_OBJECT_TYPE_BIND_PARAMETERS;
    bp.Header.Revision = NDIS_BIND_PARAMETERS_REVISION_4;
    bp.Header.Size = NDIS_SIZEOF_BIND_PARAMETERS_REVISION_4;
    bp.ProtocolSection = &protocol_section;
    bp.AdapterName = &a->ndis_name;
    bp.BoundAdapterName = &a->ndis_name;
    bp.MediaType = a->medium;
    bp.MtuSize = a->mtu;
    bp.MaxXmitLinkSpeed = a->max_xmit_speed;
    bp.XmitLinkSpeed = a->xmit_speed;
    bp.MaxRcvLinkSpeed = a->max_rcv_speed;
    bp.RcvLinkSpeed = a->rcv_speed;
    bp.MediaConnectState = a->connect_state.load();
    bp.MediaDuplexState = a->duplex_state;
    bp.LookaheadSize = a->lookahead;
    bp.SupportedPacketFilters = a->supported_filters;
    bp.MaxMulticastListSize = a->max_multicast;
    bp.MacAddressLength = a->mac_length;
    std::memcpy(bp.CurrentMacAddress, a->current_mac, sizeof bp.CurrentMacAddress);
    bp.PhysicalMediumType = a->physical_medium;
    bp.AccessType = a->access_type;
    bp.DirectionType = a->direction_type;
    bp.ConnectionType = a->connection_type;
    bp.IfType = a->if_type;
    bp.IfConnectorPresent = a->connector_present;
    bp.DataBackFillSize = a->data_backfill;
    bp.ContextBackFillSize = a->context_backfill;
    bp.MacOptions = a->mac_options;
    bp.BoundIfIndex = a->if_index;
    bp.BoundIfNetluid = a->net_luid;
    bp.LowestIfIndex = a->if_index;
    bp.LowestIfNetluid = a->net_luid;
    op.in_bind.store(true);
    NDIS_STATUS status;
    {
        kernel::driver_scope scope(p->identity);
        status = p->chars.BindAdapterHandlerEx(p->driver_context, &op.handle, &bp);
    }
    if (status == NDIS_STATUS_PENDING) {
        if (!wait_for(op.done, &status, api, "protocol '" + p->name + "'")) {
            status = NDIS_STATUS_FAILURE;
        }
    }
    if (op.opened != nullptr && op.opened->open_pended.load()) {
        // A pended open is finished only when ProtocolOpenAdapterCompleteEx has returned (the
        // protocol may have completed its bind from inside it, before that).
        wait_for(op.opened->open_done, nullptr, "ProtocolOpenAdapterCompleteEx",
                 "the runtime's pended open of '" + a->name + "'");
    }
    op.in_bind.store(false);
    op.handle.clear();
    if (status != NDIS_STATUS_SUCCESS) {
        if (op.opened != nullptr) {
            binding *b = op.opened;
            // A protocol that opened the adapter and then fails its bind must close it first
            // (NdisCloseAdapterEx inside ProtocolBindAdapterEx); one that did not is reported
            // and the runtime closes the binding for it. Either way the binding object goes.
            if (b->state.load() != binding_state::unbound) {
                verifier::report(failure::state_transition_illegal, api, b,
                                 "protocol '{}' failed its bind of '{}' with 0x{:08x} but left "
                                 "the binding open",
                                 p->name, a->name, static_cast<ULONG>(status));
                close_adapter(b);
            }
            auto &r = registry();
            std::lock_guard<std::recursive_mutex> g(r.lock);
            b->handle.clear();
            erase_owned(r.bindings, b);
        }
        return status;
    }
    *out = op.opened; // null when the protocol declined this adapter
    return NDIS_STATUS_SUCCESS;
}

void bind_complete(NDIS_HANDLE bind_context, NDIS_STATUS status)
{
    auto *op = resolve<bind_operation>(bind_context, handle_kind::bind_context);
    if (op == nullptr || !op->in_bind.load()) {
        verifier::report(failure::bind_complete_unexpected, "NdisCompleteBindAdapterEx",
                         bind_context, "{} is not the context of a bind in progress",
                         bind_context);
        return;
    }
    op->done.complete(status);
}

NDIS_STATUS open_adapter(NDIS_HANDLE protocol_handle, NDIS_HANDLE binding_context,
                         PNDIS_OPEN_PARAMETERS open, NDIS_HANDLE bind_context,
                         NDIS_HANDLE *binding_handle)
{
    constexpr const char *api = "NdisOpenAdapterEx";
    auto *p = resolve<protocol_driver>(protocol_handle, handle_kind::protocol_driver);
    auto *op = resolve<bind_operation>(bind_context, handle_kind::bind_context);
    if (p == nullptr || op == nullptr || !op->in_bind.load() || op->protocol != p) {
        verifier::report(failure::open_outside_bind, api, bind_context,
                         "NdisOpenAdapterEx outside ProtocolBindAdapterEx, or with a "
                         "BindContext/NdisProtocolHandle that does not belong to this bind "
                         "(0x7C/0x16)");
        return NDIS_STATUS_FAILURE;
    }
    if (open == nullptr || binding_handle == nullptr ||
        open->Header.Type != NDIS_OBJECT_TYPE_OPEN_PARAMETERS || open->MediumArray == nullptr ||
        open->SelectedMediumIndex == nullptr) {
        verifier::report(failure::null_argument, api, open,
                         "OpenParameters (Header type 0x87, MediumArray, SelectedMediumIndex) "
                         "or NdisBindingHandle missing");
        return NDIS_STATUS_INVALID_PARAMETER;
    }
    if (op->opened != nullptr) {
        verifier::report(failure::open_outside_bind, api, bind_context,
                         "protocol '{}' opens adapter '{}' twice in one bind", p->name,
                         op->target->name);
        return NDIS_STATUS_FAILURE;
    }
    adapter *a = op->target;
    UINT selected = open->MediumArraySize;
    for (UINT i = 0; i < open->MediumArraySize; ++i) {
        if (open->MediumArray[i] == a->medium) {
            selected = i;
            break;
        }
    }
    if (selected == open->MediumArraySize) {
        return NDIS_STATUS_UNSUPPORTED_MEDIA;
    }
    auto owned = std::make_unique<binding>();
    binding *b = owned.get();
    b->handle.set(handle_kind::binding, b);
    b->protocol = p;
    b->target = a;
    b->context = binding_context;
    b->params = *op->params;
    // PS-06: a new binding is Paused (Opening while a pended open has not completed).
    const bool pend = pend_open_close();
    b->state.store(pend ? binding_state::opening : binding_state::paused);
    {
        auto &r = registry();
        std::lock_guard<std::recursive_mutex> g(r.lock);
        r.bindings.push_back(std::move(owned));
        p->bindings.push_back(b);
    }
    {
        std::unique_lock<std::shared_mutex> g(a->bindings_lock);
        a->bindings.push_back(b);
    }
    op->opened = b;
    if (pend) {
        // PS-05: the binding handle and SelectedMediumIndex are defined only once
        // ProtocolOpenAdapterCompleteEx is called; they are written just before it.
        b->open_done.reset();
        b->open_pended.store(true);
        PUINT selected_index = open->SelectedMediumIndex;
        if (run_on_worker([b, binding_handle, selected_index, selected] {
                *selected_index = selected;
                *binding_handle = b->ndis_handle();
                b->state.store(binding_state::paused);
                {
                    kernel::driver_scope scope(b->protocol->identity);
                    b->protocol->chars.OpenAdapterCompleteHandlerEx(b->context,
                                                                    NDIS_STATUS_SUCCESS);
                }
                b->open_done.complete(NDIS_STATUS_SUCCESS);
            })) {
            return NDIS_STATUS_PENDING;
        }
        b->open_pended.store(false);
        b->state.store(binding_state::paused);
    }
    *open->SelectedMediumIndex = selected;
    *binding_handle = b->ndis_handle();
    return NDIS_STATUS_SUCCESS;
}

namespace {

NDIS_STATUS binding_pnp(binding *b, NET_PNP_EVENT_CODE code, void *buffer, ULONG length,
                        const char *api)
{
    NET_PNP_EVENT_NOTIFICATION n{};
    n.Header.Type = NDIS_OBJECT_TYPE_DEFAULT;
    n.Header.Revision = NET_PNP_EVENT_NOTIFICATION_REVISION_1;
    n.Header.Size = NDIS_SIZEOF_NET_PNP_EVENT_NOTIFICATION_REVISION_1;
    n.PortNumber = NDIS_DEFAULT_PORT_NUMBER;
    n.NetPnPEvent.NetEvent = code;
    n.NetPnPEvent.Buffer = buffer;
    n.NetPnPEvent.BufferLength = length;
    b->pnp_done.reset();
    NDIS_STATUS status;
    {
        kernel::driver_scope scope(b->protocol->identity);
        status = b->protocol->chars.NetPnPEventHandler(b->context, &n);
    }
    if (status == NDIS_STATUS_PENDING) {
        if (!wait_for(b->pnp_done, &status, api, "protocol '" + b->protocol->name + "'")) {
            status = NDIS_STATUS_FAILURE;
        }
    }
    return status;
}

} // namespace

void pnp_complete(binding *b, NDIS_STATUS status)
{
    const binding_state st = b->state.load();
    if (st != binding_state::pausing && st != binding_state::restarting) {
        verifier::report(failure::pnp_complete_unexpected, "NdisCompleteNetPnPEvent", b,
                         "binding of '{}' completes a PnP event that is not pending",
                         b->protocol->name);
        return;
    }
    b->pnp_done.complete(status);
}

NDIS_STATUS binding_restart(binding *b)
{
    constexpr const char *api = "ProtocolNetPnPEvent(NetEventRestart)";
    std::lock_guard<std::recursive_mutex> control(b->target->control_lock); // ST-07
    if (b->state.load() != binding_state::paused) {
        verifier::report(failure::state_transition_illegal, api, b,
                         "binding of '{}' cannot restart from {}", b->protocol->name,
                         to_string(b->state.load()));
        return NDIS_STATUS_INVALID_STATE;
    }
    b->state.store(binding_state::restarting);
    NDIS_PROTOCOL_RESTART_PARAMETERS rp{};
    rp.Header.Type = NDIS_OBJECT_TYPE_PROTOCOL_RESTART_PARAMETERS;
    rp.Header.Revision = NDIS_PROTOCOL_RESTART_PARAMETERS_REVISION_1;
    rp.Header.Size = NDIS_SIZEOF_PROTOCOL_RESTART_PARAMETERS_REVISION_1;
    const NDIS_STATUS status = binding_pnp(b, NetEventRestart, &rp, sizeof rp, api);
    b->state.store(status == NDIS_STATUS_SUCCESS ? binding_state::running : binding_state::paused);
    return status;
}

NDIS_STATUS binding_pause(binding *b)
{
    constexpr const char *api = "ProtocolNetPnPEvent(NetEventPause)";
    std::lock_guard<std::recursive_mutex> control(b->target->control_lock); // ST-07
    if (b->state.load() != binding_state::running) {
        return b->state.load() == binding_state::paused ? NDIS_STATUS_SUCCESS
                                                        : NDIS_STATUS_INVALID_STATE;
    }
    b->state.store(binding_state::pausing); // new sends complete with PAUSED from now on
    NDIS_PROTOCOL_PAUSE_PARAMETERS pp{};
    pp.Header.Type = NDIS_OBJECT_TYPE_DEFAULT;
    pp.Header.Revision = NDIS_PROTOCOL_PAUSE_PARAMETERS_REVISION_1;
    pp.Header.Size = NDIS_SIZEOF_PROTOCOL_PAUSE_PARAMETERS_REVISION_1;
    pp.PauseReason = NDIS_PAUSE_NDIS_INTERNAL;
    {
        // Indications that saw the binding running did so under this lock (datapath.cpp): once
        // it is taken here they are counted in upcalls_in_flight, and the pause waits for them.
        std::unique_lock<std::shared_mutex> g(b->target->bindings_lock);
    }
    const NDIS_STATUS status = binding_pnp(b, NetEventPause, &pp, sizeof pp, api);
    if (status != NDIS_STATUS_SUCCESS) {
        verifier::report(failure::pause_return_bad, api, b,
                         "protocol '{}' answered a pause with 0x{:08x}; a pause cannot fail "
                         "(PS-19)",
                         b->protocol->name, static_cast<ULONG>(status));
    }
    drain(b->sends_outstanding, api, "binding of protocol '" + b->protocol->name + "'");
    drain(b->upcalls_in_flight, api,
          "binding of protocol '" + b->protocol->name + "' (calls into it in progress)");
    b->state.store(binding_state::paused);
    return NDIS_STATUS_SUCCESS;
}

NDIS_STATUS close_adapter(binding *b)
{
    constexpr const char *api = "NdisCloseAdapterEx";
    const binding_state st = b->state.exchange(binding_state::closing);
    if (st == binding_state::closing || st == binding_state::unbound) {
        verifier::report(failure::state_transition_illegal, api, b,
                         "binding of '{}' closed twice", b->protocol->name);
        return NDIS_STATUS_FAILURE;
    }
    if (b->sends_outstanding.load() > 0) {
        verifier::report(failure::outstanding_at_unbind, api, b,
                         "protocol '{}' closes its binding to '{}' with {} send(s) outstanding "
                         "(0x7C/0x27); waiting for them",
                         b->protocol->name, b->target->name, b->sends_outstanding.load());
        drain(b->sends_outstanding, api, "binding of protocol '" + b->protocol->name + "'");
    }
    if (b->receives_outstanding.load() > 0) {
        verifier::report(failure::outstanding_at_unbind, api, b,
                         "protocol '{}' closes its binding to '{}' still holding {} indicated "
                         "receive(s)",
                         b->protocol->name, b->target->name, b->receives_outstanding.load());
    }
    {
        std::unique_lock<std::shared_mutex> g(b->target->bindings_lock);
        erase_ptr(b->target->bindings, b);
    }
    filter_binding_closed(b); // its filter no longer counts (core/loopback.hpp)
    {
        auto &r = registry();
        std::lock_guard<std::recursive_mutex> g(r.lock);
        erase_ptr(b->protocol->bindings, b);
    }
    b->state.store(binding_state::unbound);
    if (pend_open_close()) {
        b->close_pended.store(true);
        if (run_on_worker([b] {
                {
                    kernel::driver_scope scope(b->protocol->identity);
                    b->protocol->chars.CloseAdapterCompleteHandlerEx(b->context);
                }
                b->close_done.complete(NDIS_STATUS_SUCCESS);
            })) {
            return NDIS_STATUS_PENDING;
        }
        b->close_pended.store(false);
    }
    b->close_done.complete(NDIS_STATUS_SUCCESS);
    return NDIS_STATUS_SUCCESS;
}

NDIS_STATUS unbind(binding *b)
{
    constexpr const char *api = "ProtocolUnbindAdapterEx";
    std::lock_guard<std::recursive_mutex> control(b->target->control_lock); // ST-07
    if (b->state.load() == binding_state::running) {
        binding_pause(b);
    }
    b->unbind_context.set(handle_kind::unbind_context, b);
    b->unbind_done.reset();
    b->close_done.reset();
    NDIS_STATUS status;
    {
        kernel::driver_scope scope(b->protocol->identity);
        status = b->protocol->chars.UnbindAdapterHandlerEx(&b->unbind_context, b->context);
    }
    if (status == NDIS_STATUS_PENDING) {
        wait_for(b->unbind_done, &status, api, "protocol '" + b->protocol->name + "'");
    }
    b->unbind_context.clear();
    if (b->state.load() != binding_state::unbound) {
        verifier::report(failure::state_transition_illegal, api, b,
                         "protocol '{}' finished unbinding from '{}' without "
                         "NdisCloseAdapterEx; the runtime closes the binding",
                         b->protocol->name, b->target->name);
        close_adapter(b);
    }
    if (b->close_pended.load()) {
        // The binding lives until ProtocolCloseAdapterCompleteEx has returned.
        wait_for(b->close_done, nullptr, "ProtocolCloseAdapterCompleteEx",
                 "the runtime's pended close of '" + b->target->name + "'");
    }
    auto &r = registry();
    std::lock_guard<std::recursive_mutex> g(r.lock);
    b->handle.clear();
    erase_owned(r.bindings, b);
    return NDIS_STATUS_SUCCESS;
}

void unbind_complete(NDIS_HANDLE unbind_context)
{
    auto *b = resolve<binding>(unbind_context, handle_kind::unbind_context);
    if (b == nullptr) {
        verifier::report(failure::state_transition_illegal, "NdisCompleteUnbindAdapterEx",
                         unbind_context, "{} is not the context of an unbind in progress",
                         unbind_context);
        return;
    }
    b->unbind_done.complete(NDIS_STATUS_SUCCESS);
}

param_map *params_of_handle(NDIS_HANDLE handle) noexcept
{
    if (auto *a = adapter::from_handle(handle)) {
        return &a->params;
    }
    if (auto *b = binding::from_handle(handle)) {
        return &b->params;
    }
    if (auto *m = resolve<miniport_driver>(handle, handle_kind::miniport_driver)) {
        return &m->params;
    }
    if (auto *p = resolve<protocol_driver>(handle, handle_kind::protocol_driver)) {
        return &p->params;
    }
    return nullptr;
}

// ================================ deregistration =================================================

void miniport_driver_forget(miniport_driver *d)
{
    // Halt whatever the driver still has (NdisMDeregisterMiniportDriver halts first).
    std::vector<adapter *> left;
    {
        auto &r = registry();
        std::lock_guard<std::recursive_mutex> g(r.lock);
        left = d->adapters;
    }
    for (adapter *a : left) {
        std::vector<binding *> above;
        {
            std::shared_lock<std::shared_mutex> g(a->bindings_lock);
            above = a->bindings;
        }
        for (binding *b : above) {
            unbind(b);
        }
        adapter_halt(a);
    }
    auto &r = registry();
    std::lock_guard<std::recursive_mutex> g(r.lock);
    d->handle.clear();
    erase_owned(r.miniports, d);
}

void protocol_driver_forget(protocol_driver *p)
{
    std::vector<binding *> left;
    {
        auto &r = registry();
        std::lock_guard<std::recursive_mutex> g(r.lock);
        left = p->bindings;
    }
    for (binding *b : left) {
        unbind(b);
    }
    auto &r = registry();
    std::lock_guard<std::recursive_mutex> g(r.lock);
    p->handle.clear();
    erase_owned(r.protocols, p);
}

} // namespace ndis::core
