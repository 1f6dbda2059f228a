// host/host_api.cpp — the extern "C" entry points of openndis/host.h: thin shells over
// ndis::host::stack. No exception crosses the C boundary (each body is guarded); every failure
// is an NDIS_STATUS with the message kept for OpenNdisStackGetLastError.
#include <openndis/host.h>
#include <openndis/host.hpp>

#include <cstring>
#include <new>
#include <string>

struct _OPENNDIS_STACK {
    ndis::host::stack stack;
    std::string error; // messages of the C layer itself (bad arguments, out of memory)
    bool c_error = false;
};

namespace {

SIZE_T copy_out(const std::string &text, PCHAR buffer, SIZE_T size)
{
    if (buffer != nullptr && size != 0) {
        const std::size_t n = text.size() < size - 1 ? text.size() : size - 1;
        std::memcpy(buffer, text.data(), n);
        buffer[n] = '\0';
    }
    return text.size();
}

NDIS_STATUS c_fail(POPENNDIS_STACK s, const char *what, NDIS_STATUS status)
{
    if (s != nullptr) {
        s->error = what;
        s->c_error = true;
    }
    return status;
}

NDIS_STATUS result(POPENNDIS_STACK s, bool ok)
{
    s->c_error = false;
    return ok ? NDIS_STATUS_SUCCESS : NDIS_STATUS_FAILURE;
}

bool to_params(const OPENNDIS_PARAM *params, ULONG count, ndis::host::param_list &out,
               std::string &error)
{
    if (count != 0 && params == nullptr) {
        error = "Params is NULL with a non-zero Count";
        return false;
    }
    for (ULONG i = 0; i < count; ++i) {
        const OPENNDIS_PARAM &p = params[i];
        if (p.Key == nullptr) {
            error = "parameter " + std::to_string(i) + " has no Key";
            return false;
        }
        if (p.Type == OpenNdisParamInteger) {
            out.emplace_back(p.Key, static_cast<std::int64_t>(p.Integer));
        } else if (p.Type == OpenNdisParamString) {
            out.emplace_back(p.Key, std::string(p.String != nullptr ? p.String : ""));
        } else {
            error = std::string("parameter '") + p.Key + "' has an unknown Type";
            return false;
        }
    }
    return true;
}

void copy_state(CHAR (&dst)[16], const std::string &state)
{
    std::memset(dst, 0, sizeof dst);
    std::memcpy(dst, state.data(), state.size() < sizeof dst - 1 ? state.size() : sizeof dst - 1);
}

template <typename F>
NDIS_STATUS guarded(POPENNDIS_STACK s, F &&f) noexcept
{
    if (s == nullptr) {
        return NDIS_STATUS_INVALID_PARAMETER;
    }
    try {
        return f();
    } catch (const std::bad_alloc &) {
        return c_fail(s, "out of memory", NDIS_STATUS_RESOURCES);
    } catch (const std::exception &e) {
        return c_fail(s, e.what(), NDIS_STATUS_FAILURE);
    } catch (...) {
        return c_fail(s, "unexpected exception", NDIS_STATUS_FAILURE);
    }
}

} // namespace

extern "C" {

NDIS_EXPORTED_ROUTINE NDIS_STATUS OpenNdisHostRegisterBuiltinDriver(PCSTR Name,
                                                                    PDRIVER_INITIALIZE Entry)
{
    if (Name == nullptr || Entry == nullptr || Name[0] == '\0') {
        return NDIS_STATUS_INVALID_PARAMETER;
    }
    try {
        ndis::host::register_builtin_driver(Name, Entry);
        return NDIS_STATUS_SUCCESS;
    } catch (...) {
        return NDIS_STATUS_RESOURCES;
    }
}

NDIS_EXPORTED_ROUTINE NDIS_STATUS OpenNdisStackCreate(POPENNDIS_STACK *Stack)
{
    if (Stack == nullptr) {
        return NDIS_STATUS_INVALID_PARAMETER;
    }
    *Stack = new (std::nothrow) _OPENNDIS_STACK;
    return *Stack != nullptr ? NDIS_STATUS_SUCCESS : NDIS_STATUS_RESOURCES;
}

NDIS_EXPORTED_ROUTINE VOID OpenNdisStackDestroy(POPENNDIS_STACK Stack)
{
    try {
        delete Stack; // ~stack() stops a running stack
    } catch (...) {
    }
}

NDIS_EXPORTED_ROUTINE NDIS_STATUS OpenNdisStackLoadTopologyFile(POPENNDIS_STACK Stack, PCSTR Path,
                                                                PCHAR ErrorBuffer,
                                                                SIZE_T ErrorBufferSize)
{
    copy_out({}, ErrorBuffer, ErrorBufferSize);
    const NDIS_STATUS s = guarded(Stack, [&] {
        if (Path == nullptr) {
            return c_fail(Stack, "Path is NULL", NDIS_STATUS_INVALID_PARAMETER);
        }
        return result(Stack, Stack->stack.load_topology_file(Path));
    });
    if (s != NDIS_STATUS_SUCCESS && Stack != nullptr) {
        copy_out(Stack->c_error ? Stack->error : Stack->stack.last_error(), ErrorBuffer,
                 ErrorBufferSize);
    }
    return s;
}

NDIS_EXPORTED_ROUTINE NDIS_STATUS OpenNdisStackLoadTopologyString(POPENNDIS_STACK Stack,
                                                                  PCSTR Text, PCSTR SourceName,
                                                                  PCHAR ErrorBuffer,
                                                                  SIZE_T ErrorBufferSize)
{
    copy_out({}, ErrorBuffer, ErrorBufferSize);
    const NDIS_STATUS s = guarded(Stack, [&] {
        if (Text == nullptr) {
            return c_fail(Stack, "Text is NULL", NDIS_STATUS_INVALID_PARAMETER);
        }
        return result(Stack, Stack->stack.load_topology_string(
                                 Text, SourceName != nullptr ? SourceName : "<string>"));
    });
    if (s != NDIS_STATUS_SUCCESS && Stack != nullptr) {
        copy_out(Stack->c_error ? Stack->error : Stack->stack.last_error(), ErrorBuffer,
                 ErrorBufferSize);
    }
    return s;
}

NDIS_EXPORTED_ROUTINE NDIS_STATUS OpenNdisStackAddDriver(POPENNDIS_STACK Stack, PCSTR Name,
                                                         PCSTR Path)
{
    return guarded(Stack, [&] {
        if (Name == nullptr) {
            return c_fail(Stack, "Name is NULL", NDIS_STATUS_INVALID_PARAMETER);
        }
        return result(Stack, Stack->stack.add_driver(Name, Path != nullptr ? Path : ""));
    });
}

NDIS_EXPORTED_ROUTINE NDIS_STATUS OpenNdisStackAddDriverEntry(POPENNDIS_STACK Stack, PCSTR Name,
                                                              PDRIVER_INITIALIZE Entry)
{
    return guarded(Stack, [&] {
        if (Name == nullptr || Entry == nullptr) {
            return c_fail(Stack, "Name or Entry is NULL", NDIS_STATUS_INVALID_PARAMETER);
        }
        return result(Stack, Stack->stack.add_driver(Name, Entry));
    });
}

NDIS_EXPORTED_ROUTINE NDIS_STATUS OpenNdisStackSetDriverParams(POPENNDIS_STACK Stack, PCSTR Driver,
                                                               const OPENNDIS_PARAM *Params,
                                                               ULONG Count)
{
    return guarded(Stack, [&] {
        ndis::host::param_list params;
        std::string e;
        if (Driver == nullptr) {
            return c_fail(Stack, "Driver is NULL", NDIS_STATUS_INVALID_PARAMETER);
        }
        if (!to_params(Params, Count, params, e)) {
            return c_fail(Stack, e.c_str(), NDIS_STATUS_INVALID_PARAMETER);
        }
        return result(Stack, Stack->stack.set_driver_params(Driver, std::move(params)));
    });
}

NDIS_EXPORTED_ROUTINE NDIS_STATUS OpenNdisStackAddAdapter(POPENNDIS_STACK Stack, PCSTR Name,
                                                          PCSTR Driver,
                                                          const OPENNDIS_PARAM *Params,
                                                          ULONG Count)
{
    return guarded(Stack, [&] {
        ndis::host::param_list params;
        std::string e;
        if (Name == nullptr || Driver == nullptr) {
            return c_fail(Stack, "Name or Driver is NULL", NDIS_STATUS_INVALID_PARAMETER);
        }
        if (!to_params(Params, Count, params, e)) {
            return c_fail(Stack, e.c_str(), NDIS_STATUS_INVALID_PARAMETER);
        }
        return result(Stack, Stack->stack.add_adapter(Name, Driver, std::move(params)));
    });
}

NDIS_EXPORTED_ROUTINE NDIS_STATUS OpenNdisStackAddBinding(POPENNDIS_STACK Stack, PCSTR Protocol,
                                                          PCSTR Adapter,
                                                          const OPENNDIS_PARAM *Params,
                                                          ULONG Count)
{
    return guarded(Stack, [&] {
        ndis::host::param_list params;
        std::string e;
        if (Protocol == nullptr || Adapter == nullptr) {
            return c_fail(Stack, "Protocol or Adapter is NULL", NDIS_STATUS_INVALID_PARAMETER);
        }
        if (!to_params(Params, Count, params, e)) {
            return c_fail(Stack, e.c_str(), NDIS_STATUS_INVALID_PARAMETER);
        }
        return result(Stack, Stack->stack.add_binding(Protocol, Adapter, std::move(params)));
    });
}

NDIS_EXPORTED_ROUTINE NDIS_STATUS OpenNdisStackCheck(POPENNDIS_STACK Stack)
{
    return guarded(Stack, [&] { return result(Stack, Stack->stack.check()); });
}

NDIS_EXPORTED_ROUTINE NDIS_STATUS OpenNdisStackStart(POPENNDIS_STACK Stack)
{
    return guarded(Stack, [&] { return result(Stack, Stack->stack.start()); });
}

NDIS_EXPORTED_ROUTINE NDIS_STATUS OpenNdisStackStop(POPENNDIS_STACK Stack,
                                                    POPENNDIS_TEARDOWN_REPORT Report)
{
    if (Report != nullptr) {
        std::memset(Report, 0, sizeof *Report);
    }
    return guarded(Stack, [&] {
        if (!Stack->stack.running()) {
            return c_fail(Stack, "the stack is not running", NDIS_STATUS_INVALID_STATE);
        }
        const ndis::host::teardown_report r = Stack->stack.stop();
        if (Report != nullptr) {
            Report->Clean = r.clean() ? TRUE : FALSE;
            Report->Nbls = r.nbls;
            Report->Nbs = r.nbs;
            Report->Mdls = r.mdls;
            Report->NblPools = r.nbl_pools;
            Report->NbPools = r.nb_pools;
            Report->NblContexts = r.nbl_contexts;
            Report->MemoryBlocks = r.memory_blocks;
            Report->MemoryBytes = r.memory_bytes;
            Report->Timers = r.timers;
            Report->WorkItems = r.work_items;
            Report->OpenBindings = r.open_bindings;
            Report->LiveAdapters = r.live_adapters;
            Report->VerifierReports = r.verifier_reports;
        }
        Stack->c_error = false;
        return r.clean() ? NDIS_STATUS_SUCCESS : NDIS_STATUS_FAILURE;
    });
}

NDIS_EXPORTED_ROUTINE BOOLEAN OpenNdisStackIsRunning(POPENNDIS_STACK Stack)
{
    return Stack != nullptr && Stack->stack.running() ? TRUE : FALSE;
}

NDIS_EXPORTED_ROUTINE NDIS_STATUS OpenNdisStackPauseAdapter(POPENNDIS_STACK Stack, PCSTR Adapter)
{
    return guarded(Stack, [&] {
        if (Adapter == nullptr) {
            return c_fail(Stack, "Adapter is NULL", NDIS_STATUS_INVALID_PARAMETER);
        }
        return result(Stack, Stack->stack.pause_adapter(Adapter));
    });
}

NDIS_EXPORTED_ROUTINE NDIS_STATUS OpenNdisStackRestartAdapter(POPENNDIS_STACK Stack, PCSTR Adapter)
{
    return guarded(Stack, [&] {
        if (Adapter == nullptr) {
            return c_fail(Stack, "Adapter is NULL", NDIS_STATUS_INVALID_PARAMETER);
        }
        return result(Stack, Stack->stack.restart_adapter(Adapter));
    });
}

NDIS_EXPORTED_ROUTINE NDIS_STATUS OpenNdisStackPauseBinding(POPENNDIS_STACK Stack, PCSTR Protocol,
                                                            PCSTR Adapter)
{
    return guarded(Stack, [&] {
        if (Protocol == nullptr || Adapter == nullptr) {
            return c_fail(Stack, "Protocol or Adapter is NULL", NDIS_STATUS_INVALID_PARAMETER);
        }
        return result(Stack, Stack->stack.pause_binding(Protocol, Adapter));
    });
}

NDIS_EXPORTED_ROUTINE NDIS_STATUS OpenNdisStackRestartBinding(POPENNDIS_STACK Stack,
                                                              PCSTR Protocol, PCSTR Adapter)
{
    return guarded(Stack, [&] {
        if (Protocol == nullptr || Adapter == nullptr) {
            return c_fail(Stack, "Protocol or Adapter is NULL", NDIS_STATUS_INVALID_PARAMETER);
        }
        return result(Stack, Stack->stack.restart_binding(Protocol, Adapter));
    });
}

NDIS_EXPORTED_ROUTINE NDIS_STATUS OpenNdisStackResetAdapter(POPENNDIS_STACK Stack, PCSTR Adapter)
{
    return guarded(Stack, [&] {
        if (Adapter == nullptr) {
            return c_fail(Stack, "Adapter is NULL", NDIS_STATUS_INVALID_PARAMETER);
        }
        return result(Stack, Stack->stack.reset_adapter(Adapter));
    });
}

NDIS_EXPORTED_ROUTINE NDIS_STATUS OpenNdisStackPowerCycleAdapter(POPENNDIS_STACK Stack, PCSTR Adapter)
{
    return guarded(Stack, [&] {
        if (Adapter == nullptr) {
            return c_fail(Stack, "Adapter is NULL", NDIS_STATUS_INVALID_PARAMETER);
        }
        return result(Stack, Stack->stack.power_cycle_adapter(Adapter));
    });
}

NDIS_EXPORTED_ROUTINE NDIS_STATUS OpenNdisStackUnbind(POPENNDIS_STACK Stack, PCSTR Protocol, PCSTR Adapter)
{
    return guarded(Stack, [&] {
        if (Protocol == nullptr || Adapter == nullptr) {
            return c_fail(Stack, "Protocol or Adapter is NULL", NDIS_STATUS_INVALID_PARAMETER);
        }
        return result(Stack, Stack->stack.unbind(Protocol, Adapter));
    });
}

NDIS_EXPORTED_ROUTINE NDIS_STATUS OpenNdisStackRebind(POPENNDIS_STACK Stack, PCSTR Protocol, PCSTR Adapter)
{
    return guarded(Stack, [&] {
        if (Protocol == nullptr || Adapter == nullptr) {
            return c_fail(Stack, "Protocol or Adapter is NULL", NDIS_STATUS_INVALID_PARAMETER);
        }
        return result(Stack, Stack->stack.rebind(Protocol, Adapter));
    });
}

NDIS_EXPORTED_ROUTINE NDIS_STATUS OpenNdisStackGetAdapterCounters(
    POPENNDIS_STACK Stack, PCSTR Adapter, POPENNDIS_ADAPTER_COUNTERS Counters)
{
    return guarded(Stack, [&] {
        if (Adapter == nullptr || Counters == nullptr) {
            return c_fail(Stack, "Adapter or Counters is NULL", NDIS_STATUS_INVALID_PARAMETER);
        }
        std::memset(Counters, 0, sizeof *Counters);
        const auto c = Stack->stack.adapter(Adapter);
        if (!c) {
            return c_fail(Stack, "no such adapter", NDIS_STATUS_ADAPTER_NOT_FOUND);
        }
        Counters->Sent = c->sent;
        Counters->Completed = c->completed;
        Counters->Indicated = c->indicated;
        Counters->Returned = c->returned;
        Counters->SendsOutstanding = c->sends_outstanding;
        Counters->ReceivesOutstanding = c->receives_outstanding;
        copy_state(Counters->State, c->state);
        Counters->Resets = c->resets;
        Counters->Hangs = c->hangs;
        // "D0" … "D3" → NdisDeviceStateD0 (1) … NdisDeviceStateD3 (4)
        Counters->PowerState = c->power.size() == 2 && c->power[1] >= '0' && c->power[1] <= '3'
                                   ? static_cast<ULONG>(c->power[1] - '0') + 1
                                   : 0;
        return NDIS_STATUS_SUCCESS;
    });
}

NDIS_EXPORTED_ROUTINE NDIS_STATUS OpenNdisStackGetBindingCounters(
    POPENNDIS_STACK Stack, PCSTR Protocol, PCSTR Adapter, POPENNDIS_BINDING_COUNTERS Counters)
{
    return guarded(Stack, [&] {
        if (Protocol == nullptr || Adapter == nullptr || Counters == nullptr) {
            return c_fail(Stack, "Protocol, Adapter or Counters is NULL",
                          NDIS_STATUS_INVALID_PARAMETER);
        }
        std::memset(Counters, 0, sizeof *Counters);
        const auto c = Stack->stack.binding(Protocol, Adapter);
        if (!c) {
            return c_fail(Stack, "no such binding", NDIS_STATUS_FILE_NOT_FOUND);
        }
        Counters->Sent = c->sent;
        Counters->Completed = c->completed;
        Counters->Received = c->received;
        Counters->SendsOutstanding = c->sends_outstanding;
        Counters->ReceivesOutstanding = c->receives_outstanding;
        copy_state(Counters->State, c->state);
        return NDIS_STATUS_SUCCESS;
    });
}

NDIS_EXPORTED_ROUTINE SIZE_T OpenNdisStackGetLastError(POPENNDIS_STACK Stack, PCHAR Buffer,
                                                       SIZE_T BufferSize)
{
    if (Stack == nullptr) {
        return copy_out({}, Buffer, BufferSize);
    }
    try {
        return copy_out(Stack->c_error ? Stack->error : Stack->stack.last_error(), Buffer,
                        BufferSize);
    } catch (...) {
        return copy_out({}, Buffer, BufferSize);
    }
}

NDIS_EXPORTED_ROUTINE SIZE_T OpenNdisStackGetTeardownText(POPENNDIS_STACK Stack, PCHAR Buffer,
                                                          SIZE_T BufferSize)
{
    if (Stack == nullptr) {
        return copy_out({}, Buffer, BufferSize);
    }
    try {
        return copy_out(Stack->stack.last_report().text(), Buffer, BufferSize);
    } catch (...) {
        return copy_out({}, Buffer, BufferSize);
    }
}

} // extern "C"
