// test_drivers.cpp — the capture miniport and the inject protocol (see test_drivers.hpp).
// Written against <ndis.h> only: everything here is what a Windows driver could do.
#include "test_drivers.hpp"

#include <algorithm>
#include <cstring>

namespace ft {

namespace {

constexpr ULONG kMemTag = 'mTtF';
constexpr ULONG kRxPoolTag = 'xRtF';
constexpr ULONG kTxPoolTag = 'xTtF';
constexpr std::uint32_t kSendRecordMagic = 0x53524543; // "CERS"

std::atomic<unsigned> g_next_id{1};
thread_local int t_inside_send = 0;

void init_header(NDIS_OBJECT_HEADER &h, UCHAR type, UCHAR revision, USHORT size)
{
    h.Type = type;
    h.Revision = revision;
    h.Size = size;
}

std::string registry_path_for(const std::string &service)
{
    return "\\Registry\\Machine\\System\\CurrentControlSet\\Services\\" + service;
}

} // namespace

Tag make_tag(unsigned owner_id, Tag seq) noexcept
{
    return (static_cast<Tag>(owner_id) << 40) | (seq & ((Tag{1} << 40) - 1));
}

unsigned tag_owner(Tag tag) noexcept
{
    return static_cast<unsigned>(tag >> 40);
}

// ================================ helpers ==========================================================

NdisStr::NdisStr(const std::string &text)
{
    for (unsigned char c : text) {
        buf_.push_back(c);
    }
    buf_.push_back(0);
    str_.Buffer = buf_.data();
    str_.Length = static_cast<USHORT>(text.size() * sizeof(WCHAR));
    str_.MaximumLength = static_cast<USHORT>(buf_.size() * sizeof(WCHAR));
}

std::string narrow(const NDIS_STRING *s)
{
    std::string out;
    if (s == nullptr || s->Buffer == nullptr) {
        return out;
    }
    for (USHORT i = 0; i < s->Length / sizeof(WCHAR); ++i) {
        out.push_back(s->Buffer[i] < 0x80 ? static_cast<char>(s->Buffer[i]) : '?');
    }
    return out;
}

void Helpers::run(std::function<void()> fn, std::chrono::milliseconds delay)
{
    std::lock_guard<std::mutex> g(lock_);
    threads_.emplace_back([fn = std::move(fn), delay] {
        if (delay.count() > 0) {
            std::this_thread::sleep_for(delay);
        }
        fn();
    });
}

void Helpers::join_all()
{
    for (;;) {
        std::vector<std::thread> taken;
        {
            std::lock_guard<std::mutex> g(lock_);
            taken.swap(threads_);
        }
        if (taken.empty()) {
            return;
        }
        for (auto &t : taken) {
            if (t.joinable()) {
                t.join();
            }
        }
    }
}

std::vector<ConfigResult> read_config(NDIS_HANDLE handle, const std::vector<ConfigProbe> &probes,
                                      NDIS_STATUS *open_status)
{
    std::vector<ConfigResult> out;
    NDIS_CONFIGURATION_OBJECT co{};
    init_header(co.Header, NDIS_OBJECT_TYPE_CONFIGURATION_OBJECT,
                NDIS_CONFIGURATION_OBJECT_REVISION_1, NDIS_SIZEOF_CONFIGURATION_OBJECT_REVISION_1);
    co.NdisHandle = handle;
    NDIS_HANDLE config = nullptr;
    const NDIS_STATUS s = NdisOpenConfigurationEx(&co, &config);
    if (open_status != nullptr) {
        *open_status = s;
    }
    if (s != NDIS_STATUS_SUCCESS) {
        return out;
    }
    for (const ConfigProbe &probe : probes) {
        NdisStr key(probe.key);
        ConfigResult r;
        r.key = probe.key;
        r.asked = probe.type;
        PNDIS_CONFIGURATION_PARAMETER value = nullptr;
        NdisReadConfiguration(&r.status, &value, config, key.get(), probe.type);
        if (r.status == NDIS_STATUS_SUCCESS && value != nullptr) {
            r.got = value->ParameterType;
            if (value->ParameterType == NdisParameterInteger ||
                value->ParameterType == NdisParameterHexInteger) {
                r.integer = value->ParameterData.IntegerData;
            } else if (value->ParameterType == NdisParameterString ||
                       value->ParameterType == NdisParameterMultiString) {
                r.text = narrow(&value->ParameterData.StringData);
            }
        }
        out.push_back(std::move(r));
    }
    NdisCloseConfiguration(config);
    return out;
}

// ================================ NBLs ==============================================================

NblSnapshot snapshot(const NET_BUFFER_LIST *nbl)
{
    NblSnapshot s;
    std::uint64_t h = 1469598103934665603ULL; // FNV-1a over every data byte of every NB
    for (PNET_BUFFER nb = nbl->FirstNetBuffer; nb != nullptr; nb = nb->Next) {
        NblSnapshot::Nb n;
        n.nb = nb;
        n.mdl_chain = nb->MdlChain;
        n.current_mdl = nb->CurrentMdl;
        n.current_mdl_offset = nb->CurrentMdlOffset;
        n.data_offset = nb->DataOffset;
        n.data_length = nb->DataLength;
        ULONG skip = nb->DataOffset;
        ULONG left = nb->DataLength;
        for (PMDL m = nb->MdlChain; m != nullptr; m = m->Next) {
            n.mdls.push_back(m);
            n.mdl_bytes.push_back(MmGetMdlByteCount(m));
            n.mdl_va.push_back(MmGetMdlVirtualAddress(m));
            const auto *p = static_cast<const UCHAR *>(MmGetMdlVirtualAddress(m));
            ULONG count = MmGetMdlByteCount(m);
            if (skip >= count) {
                skip -= count;
                continue;
            }
            for (ULONG i = skip; i < count && left > 0; ++i, --left) {
                h = (h ^ p[i]) * 1099511628211ULL;
            }
            skip = 0;
        }
        s.nbs.push_back(std::move(n));
    }
    s.checksum = h;
    return s;
}

std::string compare(const NblSnapshot &a, const NblSnapshot &b)
{
    if (a.nbs.size() != b.nbs.size()) {
        return "NB count " + std::to_string(a.nbs.size()) + " -> " + std::to_string(b.nbs.size());
    }
    for (std::size_t i = 0; i < a.nbs.size(); ++i) {
        const auto &x = a.nbs[i];
        const auto &y = b.nbs[i];
        const std::string at = "NB #" + std::to_string(i) + ": ";
        if (x.nb != y.nb) return at + "a different NET_BUFFER";
        if (x.mdl_chain != y.mdl_chain) return at + "MdlChain changed";
        if (x.current_mdl != y.current_mdl) return at + "CurrentMdl changed";
        if (x.current_mdl_offset != y.current_mdl_offset) return at + "CurrentMdlOffset changed";
        if (x.data_offset != y.data_offset) return at + "DataOffset changed";
        if (x.data_length != y.data_length) return at + "DataLength changed";
        if (x.mdls != y.mdls) return at + "MDL chain relinked";
        if (x.mdl_bytes != y.mdl_bytes) return at + "MDL ByteCount changed";
        if (x.mdl_va != y.mdl_va) return at + "MDL address changed";
    }
    if (a.checksum != b.checksum) {
        return "data changed";
    }
    return {};
}

Tag read_tag(PNET_BUFFER_LIST nbl)
{
    PNET_BUFFER nb = nbl != nullptr ? nbl->FirstNetBuffer : nullptr;
    if (nb == nullptr || nb->DataLength < sizeof(Tag)) {
        return ~Tag{0};
    }
    Tag t = 0;
    const void *p = NdisGetDataBuffer(nb, sizeof t, &t, 1, 0);
    if (p == nullptr) {
        return ~Tag{0};
    }
    if (p != &t) {
        std::memcpy(&t, p, sizeof t);
    }
    return t;
}

Tag stamp_destination(PNET_BUFFER_LIST nbl, const std::array<UCHAR, 6> &dest, std::uint16_t id)
{
    for (PNET_BUFFER nb = nbl->FirstNetBuffer; nb != nullptr; nb = nb->Next) {
        UCHAR storage[8];
        if (nb->DataLength < sizeof storage) {
            continue;
        }
        // Our NBs keep their first 16 bytes in one MDL, so this is a pointer into the data.
        auto *p = static_cast<UCHAR *>(NdisGetDataBuffer(nb, sizeof storage, storage, 1, 0));
        if (p == nullptr || p == storage) {
            continue;
        }
        std::memcpy(p, dest.data(), 6);
        std::memcpy(p + 6, &id, sizeof id);
    }
    return read_tag(nbl);
}

bool NblFactory::open(NDIS_HANDLE owner, ULONG pool_tag)
{
    owner_ = owner;
    tag_ = pool_tag;
    NET_BUFFER_LIST_POOL_PARAMETERS p{};
    init_header(p.Header, NDIS_OBJECT_TYPE_DEFAULT, NET_BUFFER_LIST_POOL_PARAMETERS_REVISION_1,
                NDIS_SIZEOF_NET_BUFFER_LIST_POOL_PARAMETERS_REVISION_1);
    p.ProtocolId = NDIS_PROTOCOL_ID_DEFAULT;
    p.fAllocateNetBuffer = TRUE;
    p.ContextSize = 0;
    p.PoolTag = pool_tag;
    p.DataSize = 0;
    nbl_pool_ = NdisAllocateNetBufferListPool(owner, &p);
    NET_BUFFER_POOL_PARAMETERS q{};
    init_header(q.Header, NDIS_OBJECT_TYPE_DEFAULT, NET_BUFFER_POOL_PARAMETERS_REVISION_1,
                NDIS_SIZEOF_NET_BUFFER_POOL_PARAMETERS_REVISION_1);
    q.PoolTag = pool_tag;
    q.DataSize = 0;
    nb_pool_ = NdisAllocateNetBufferPool(owner, &q);
    if (nbl_pool_ == nullptr || nb_pool_ == nullptr) {
        close();
        return false;
    }
    return true;
}

void NblFactory::close()
{
    if (nbl_pool_ != nullptr) {
        NdisFreeNetBufferListPool(nbl_pool_);
        nbl_pool_ = nullptr;
    }
    if (nb_pool_ != nullptr) {
        NdisFreeNetBufferPool(nb_pool_);
        nb_pool_ = nullptr;
    }
}

PNET_BUFFER_LIST NblFactory::make(Tag tag, const Shape &shape, NDIS_HANDLE source_handle)
{
    const unsigned nbs = std::max(1u, shape.nbs);
    const unsigned mdls = std::max(1u, shape.mdls);
    const unsigned bytes = std::max(16u, shape.mdl_bytes);
    PNET_BUFFER_LIST nbl = nullptr;
    PNET_BUFFER prev = nullptr;
    for (unsigned i = 0; i < nbs; ++i) {
        const ULONG length = mdls * bytes;
        auto *block = static_cast<PUCHAR>(
            NdisAllocateMemoryWithTagPriority(owner_, length, kMemTag, NormalPoolPriority));
        if (block == nullptr) {
            break;
        }
        for (ULONG k = 0; k < length; ++k) {
            block[k] = static_cast<UCHAR>(tag * 31 + i * 7 + k);
        }
        std::memcpy(block, &tag, sizeof tag);
        std::memcpy(block + sizeof tag, &i, sizeof i);
        PMDL head = nullptr, tail = nullptr;
        bool ok = true;
        for (unsigned j = 0; j < mdls; ++j) {
            PMDL m = NdisAllocateMdl(owner_, block + j * bytes, bytes);
            if (m == nullptr) {
                ok = false;
                break;
            }
            m->Next = nullptr;
            (tail != nullptr ? tail->Next : head) = m;
            tail = m;
        }
        PNET_BUFFER nb = nullptr;
        if (ok) {
            if (i == 0) {
                nbl = NdisAllocateNetBufferAndNetBufferList(nbl_pool_, 0, 0, head, 0, length);
                nb = nbl != nullptr ? nbl->FirstNetBuffer : nullptr;
            } else {
                nb = NdisAllocateNetBuffer(nb_pool_, head, 0, length);
            }
        }
        if (nb == nullptr) {
            for (PMDL m = head, next; m != nullptr; m = next) {
                next = m->Next;
                NdisFreeMdl(m);
            }
            NdisFreeMemory(block, 0, 0);
            break;
        }
        if (prev != nullptr) {
            prev->Next = nb;
        }
        prev = nb;
    }
    if (nbl == nullptr) {
        return nullptr;
    }
    nbl->SourceHandle = source_handle;
    return nbl;
}

void NblFactory::destroy(PNET_BUFFER_LIST nbl)
{
    std::vector<PNET_BUFFER> extra;
    std::vector<PMDL> mdls;
    std::vector<PVOID> blocks;
    PNET_BUFFER first = nbl->FirstNetBuffer;
    for (PNET_BUFFER nb = first; nb != nullptr; nb = nb->Next) {
        if (nb != first) {
            extra.push_back(nb);
        }
        if (nb->MdlChain != nullptr) {
            blocks.push_back(MmGetMdlVirtualAddress(nb->MdlChain));
        }
        for (PMDL m = nb->MdlChain; m != nullptr; m = m->Next) {
            mdls.push_back(m);
        }
    }
    if (first != nullptr) {
        first->Next = nullptr;
    }
    nbl->Next = nullptr;
    NdisFreeNetBufferList(nbl);
    for (PNET_BUFFER nb : extra) {
        nb->Next = nullptr;
        NdisFreeNetBuffer(nb);
    }
    for (PMDL m : mdls) {
        NdisFreeMdl(m);
    }
    for (PVOID b : blocks) {
        NdisFreeMemory(b, 0, 0);
    }
}

// ===================================================================================================
// Capture miniport
// ===================================================================================================

struct CaptureMiniport::Box {
    DRIVER_OBJECT object; // first: DriverEntry's DriverObject is the Box
    CaptureMiniport *owner;
};

CaptureMiniport *CaptureMiniport::from(PDRIVER_OBJECT driver_object) noexcept
{
    return CONTAINING_RECORD(driver_object, Box, object)->owner;
}

CaptureMiniport::CaptureMiniport(std::string service_name)
    : service(std::move(service_name)), box_(std::make_unique<Box>()),
      registry_path_(std::make_unique<NdisStr>(registry_path_for(service)))
{
    std::memset(&box_->object, 0, sizeof box_->object);
    box_->object.Type = IO_TYPE_DRIVER;
    box_->object.Size = sizeof(DRIVER_OBJECT);
    box_->owner = this;
}

CaptureMiniport::~CaptureMiniport()
{
    helpers.join_all();
}

PDRIVER_OBJECT CaptureMiniport::driver_object() noexcept
{
    return &box_->object;
}

CaptureAdapter *CaptureMiniport::add_adapter(NDIS_HANDLE handle)
{
    auto a = std::make_unique<CaptureAdapter>(this, handle);
    CaptureAdapter *raw = a.get();
    std::lock_guard<std::mutex> g(lock_);
    adapters_.push_back(std::move(a));
    return raw;
}

std::vector<CaptureAdapter *> CaptureMiniport::adapters()
{
    std::lock_guard<std::mutex> g(lock_);
    std::vector<CaptureAdapter *> out;
    for (auto &a : adapters_) {
        out.push_back(a.get());
    }
    return out;
}

CaptureAdapter *CaptureMiniport::adapter(std::size_t i)
{
    std::lock_guard<std::mutex> g(lock_);
    return i < adapters_.size() ? adapters_[i].get() : nullptr;
}

namespace {

MINIPORT_INITIALIZE CaptureInitialize;
MINIPORT_HALT CaptureHalt;
MINIPORT_UNLOAD CaptureUnload;
MINIPORT_PAUSE CapturePause;
MINIPORT_RESTART CaptureRestart;
MINIPORT_OID_REQUEST CaptureOid;
MINIPORT_SEND_NET_BUFFER_LISTS CaptureSend;
MINIPORT_RETURN_NET_BUFFER_LISTS CaptureReturn;
MINIPORT_CANCEL_SEND CaptureCancelSend;
MINIPORT_DEVICE_PNP_EVENT_NOTIFY CaptureDevicePnp;
MINIPORT_SHUTDOWN CaptureShutdown;
MINIPORT_CANCEL_OID_REQUEST CaptureCancelOid;
MINIPORT_RESET CaptureReset;
MINIPORT_CHECK_FOR_HANG CaptureCheckForHang;
KDEFERRED_ROUTINE CaptureDpc;
KDEFERRED_ROUTINE CaptureFlushDpc;

NDIS_STATUS CaptureInitialize(NDIS_HANDLE NdisMiniportHandle, NDIS_HANDLE MiniportDriverContext,
                              PNDIS_MINIPORT_INIT_PARAMETERS MiniportInitParameters)
{
    auto *driver = static_cast<CaptureMiniport *>(MiniportDriverContext);
    CaptureAdapter *a = driver->add_adapter(NdisMiniportHandle);
    return a->initialize(MiniportInitParameters);
}

VOID CaptureHalt(NDIS_HANDLE MiniportAdapterContext, NDIS_HALT_ACTION)
{
    static_cast<CaptureAdapter *>(MiniportAdapterContext)->on_halt();
}

VOID CaptureUnload(PDRIVER_OBJECT DriverObject)
{
    CaptureMiniport *m = CaptureMiniport::from(DriverObject);
    m->unload_calls.fetch_add(1);
    if (m->driver_handle != nullptr) {
        NDIS_HANDLE h = m->driver_handle;
        m->driver_handle = nullptr;
        NdisMDeregisterMiniportDriver(h);
    }
}

NDIS_STATUS CapturePause(NDIS_HANDLE MiniportAdapterContext,
                         PNDIS_MINIPORT_PAUSE_PARAMETERS PauseParameters)
{
    return static_cast<CaptureAdapter *>(MiniportAdapterContext)->on_pause(PauseParameters);
}

NDIS_STATUS CaptureRestart(NDIS_HANDLE MiniportAdapterContext, PNDIS_MINIPORT_RESTART_PARAMETERS)
{
    return static_cast<CaptureAdapter *>(MiniportAdapterContext)->on_restart();
}

NDIS_STATUS CaptureOid(NDIS_HANDLE MiniportAdapterContext, PNDIS_OID_REQUEST OidRequest)
{
    return static_cast<CaptureAdapter *>(MiniportAdapterContext)->on_oid(OidRequest);
}

VOID CaptureSend(NDIS_HANDLE MiniportAdapterContext, PNET_BUFFER_LIST NetBufferList,
                 NDIS_PORT_NUMBER PortNumber, ULONG SendFlags)
{
    static_cast<CaptureAdapter *>(MiniportAdapterContext)->on_send(NetBufferList, PortNumber,
                                                                  SendFlags);
}

VOID CaptureReturn(NDIS_HANDLE MiniportAdapterContext, PNET_BUFFER_LIST NetBufferLists,
                   ULONG ReturnFlags)
{
    static_cast<CaptureAdapter *>(MiniportAdapterContext)->on_return(NetBufferLists, ReturnFlags);
}

VOID CaptureCancelSend(NDIS_HANDLE MiniportAdapterContext, PVOID CancelId)
{
    static_cast<CaptureAdapter *>(MiniportAdapterContext)->on_cancel_send(CancelId);
}
VOID CaptureDevicePnp(NDIS_HANDLE, PNET_DEVICE_PNP_EVENT) {}
VOID CaptureShutdown(NDIS_HANDLE MiniportAdapterContext, NDIS_SHUTDOWN_ACTION)
{
    static_cast<CaptureAdapter *>(MiniportAdapterContext)->shutdown_calls.fetch_add(1);
}
NDIS_STATUS CaptureReset(NDIS_HANDLE MiniportAdapterContext, PBOOLEAN AddressingReset)
{
    return static_cast<CaptureAdapter *>(MiniportAdapterContext)->on_reset(AddressingReset);
}
BOOLEAN CaptureCheckForHang(NDIS_HANDLE MiniportAdapterContext)
{
    return static_cast<CaptureAdapter *>(MiniportAdapterContext)->on_check_for_hang();
}
VOID CaptureCancelOid(NDIS_HANDLE, PVOID) {}

VOID CaptureDpc(PKDPC, PVOID DeferredContext, PVOID, PVOID)
{
    static_cast<CaptureAdapter *>(DeferredContext)->on_dpc(false);
}

VOID CaptureFlushDpc(PKDPC, PVOID DeferredContext, PVOID, PVOID)
{
    static_cast<CaptureAdapter *>(DeferredContext)->on_dpc(true);
}

} // namespace

NTSTATUS CaptureMiniportDriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath)
{
    CaptureMiniport *m = CaptureMiniport::from(DriverObject);
    NDIS_MINIPORT_DRIVER_CHARACTERISTICS c{};
    init_header(c.Header, NDIS_OBJECT_TYPE_MINIPORT_DRIVER_CHARACTERISTICS,
                NDIS_MINIPORT_DRIVER_CHARACTERISTICS_REVISION_2,
                NDIS_SIZEOF_MINIPORT_DRIVER_CHARACTERISTICS_REVISION_2);
    c.MajorNdisVersion = NDIS_MINIPORT_MAJOR_VERSION;
    c.MinorNdisVersion = NDIS_MINIPORT_MINOR_VERSION;
    c.MajorDriverVersion = 1;
    c.InitializeHandlerEx = CaptureInitialize;
    c.HaltHandlerEx = CaptureHalt;
    c.UnloadHandler = CaptureUnload;
    c.PauseHandler = CapturePause;
    c.RestartHandler = CaptureRestart;
    c.OidRequestHandler = CaptureOid;
    c.SendNetBufferListsHandler = CaptureSend;
    c.ReturnNetBufferListsHandler = CaptureReturn;
    c.CancelSendHandler = CaptureCancelSend;
    c.DevicePnPEventNotifyHandler = CaptureDevicePnp;
    c.ShutdownHandlerEx = CaptureShutdown;
    c.CancelOidRequestHandler = CaptureCancelOid;
    c.ResetHandlerEx = CaptureReset;
    if (m->register_check_for_hang) {
        c.CheckForHangHandlerEx = CaptureCheckForHang;
    }
    if (m->tweak) {
        m->tweak(c);
    }
    DriverObject->DriverUnload = CaptureUnload;
    m->register_status =
        NdisMRegisterMiniportDriver(DriverObject, RegistryPath, m, &c, &m->driver_handle);
    if (m->register_status != NDIS_STATUS_SUCCESS) {
        m->driver_handle = nullptr;
    }
    return m->register_status;
}

// ---- adapter ------------------------------------------------------------------------------------------

CaptureAdapter::CaptureAdapter(CaptureMiniport *d, NDIS_HANDLE h)
    : driver(d), handle(h), id(g_next_id.fetch_add(1))
{
    NdisAllocateSpinLock(&lock_);
    policy_ = d->default_policy;
    KeInitializeDpc(&dpc_, CaptureDpc, this);
    KeInitializeDpc(&flush_dpc_, CaptureFlushDpc, this);
}

CaptureAdapter::~CaptureAdapter()
{
    stop_worker();
    NdisFreeSpinLock(&lock_);
}

NDIS_STATUS CaptureAdapter::initialize(PNDIS_MINIPORT_INIT_PARAMETERS params)
{
    if_index = params->IfIndex;
    std::vector<ConfigProbe> probes = {{"Mtu", NdisParameterInteger},
                                       {"Medium", NdisParameterInteger},
                                       {"LinkSpeed", NdisParameterInteger},
                                       {"DataBackFill", NdisParameterInteger},
                                       {"ContextBackFill", NdisParameterInteger}};
    probes.insert(probes.end(), driver->adapter_probes.begin(), driver->adapter_probes.end());

    NDIS_CONFIGURATION_OBJECT co{};
    init_header(co.Header, NDIS_OBJECT_TYPE_CONFIGURATION_OBJECT,
                NDIS_CONFIGURATION_OBJECT_REVISION_1, NDIS_SIZEOF_CONFIGURATION_OBJECT_REVISION_1);
    co.NdisHandle = handle;
    NDIS_HANDLE config = nullptr;
    config_open_status = NdisOpenConfigurationEx(&co, &config);
    permanent_mac[0] = 0x02;
    permanent_mac[1] = 0x00;
    permanent_mac[2] = 0x4F;
    permanent_mac[3] = 0x00;
    permanent_mac[4] = static_cast<UCHAR>(id >> 8);
    permanent_mac[5] = static_cast<UCHAR>(id);
    std::memcpy(current_mac, permanent_mac, sizeof current_mac);
    if (config_open_status == NDIS_STATUS_SUCCESS) {
        NdisCloseConfiguration(config);
        adapter_config = read_config(handle, probes);
        for (const ConfigResult &r : adapter_config) {
            if (r.status != NDIS_STATUS_SUCCESS) {
                continue;
            }
            if (r.key == "Mtu") mtu = r.integer;
            if (r.key == "Medium") medium = static_cast<NDIS_MEDIUM>(r.integer);
            if (r.key == "LinkSpeed") link_speed = r.integer;
            if (r.key == "DataBackFill") data_backfill = r.integer;
            if (r.key == "ContextBackFill") context_backfill = r.integer;
        }
        // NdisReadNetworkAddress on its own handle (the parameter belongs to the handle).
        if (NdisOpenConfigurationEx(&co, &config) == NDIS_STATUS_SUCCESS) {
            PVOID address = nullptr;
            UINT length = 0;
            NdisReadNetworkAddress(&network_address_status, &address, &length, config);
            if (network_address_status == NDIS_STATUS_SUCCESS && length == 6) {
                std::memcpy(current_mac, address, 6);
            }
            NdisCloseConfiguration(config);
        }
    }
    if (!driver->driver_probes.empty()) {
        driver_config = read_config(driver->driver_handle, driver->driver_probes);
    }
    const NDIS_STATUS fail = driver->initialize_status.load();
    if (fail != NDIS_STATUS_SUCCESS) {
        halted = true;
        return fail;
    }

    NDIS_MINIPORT_ADAPTER_ATTRIBUTES attrs{};
    auto &reg = attrs.RegistrationAttributes;
    init_header(reg.Header, NDIS_OBJECT_TYPE_MINIPORT_ADAPTER_REGISTRATION_ATTRIBUTES,
                NDIS_MINIPORT_ADAPTER_REGISTRATION_ATTRIBUTES_REVISION_1,
                NDIS_SIZEOF_MINIPORT_ADAPTER_REGISTRATION_ATTRIBUTES_REVISION_1);
    reg.MiniportAdapterContext = this;
    reg.AttributeFlags = NDIS_MINIPORT_ATTRIBUTES_NO_HALT_ON_SUSPEND;
    reg.InterfaceType = NdisInterfaceInternal;
    NDIS_STATUS s = NdisMSetMiniportAttributes(handle, &attrs);
    if (s != NDIS_STATUS_SUCCESS) {
        halted = true;
        return s;
    }
    std::memset(&attrs, 0, sizeof attrs);
    auto &gen = attrs.GeneralAttributes;
    init_header(gen.Header, NDIS_OBJECT_TYPE_MINIPORT_ADAPTER_GENERAL_ATTRIBUTES,
                NDIS_MINIPORT_ADAPTER_GENERAL_ATTRIBUTES_REVISION_2,
                NDIS_SIZEOF_MINIPORT_ADAPTER_GENERAL_ATTRIBUTES_REVISION_2);
    gen.MediaType = medium;
    gen.PhysicalMediumType = NdisPhysicalMedium802_3;
    gen.MtuSize = mtu;
    gen.MaxXmitLinkSpeed = gen.XmitLinkSpeed = link_speed;
    gen.MaxRcvLinkSpeed = gen.RcvLinkSpeed = link_speed;
    gen.MediaConnectState = MediaConnectStateConnected;
    gen.MediaDuplexState = MediaDuplexStateFull;
    gen.LookaheadSize = mtu;
    gen.MacOptions = driver->mac_options.load();
    gen.SupportedPacketFilters = NDIS_PACKET_TYPE_DIRECTED | NDIS_PACKET_TYPE_MULTICAST |
                                 NDIS_PACKET_TYPE_ALL_MULTICAST | NDIS_PACKET_TYPE_BROADCAST |
                                 NDIS_PACKET_TYPE_PROMISCUOUS | NDIS_PACKET_TYPE_ALL_LOCAL;
    gen.MaxMulticastListSize = driver->max_multicast.load();
    gen.MacAddressLength = 6;
    std::memcpy(gen.PermanentMacAddress, permanent_mac, 6);
    std::memcpy(gen.CurrentMacAddress, current_mac, 6);
    gen.AccessType = NET_IF_ACCESS_BROADCAST;
    gen.DirectionType = NET_IF_DIRECTION_SENDRECEIVE;
    gen.ConnectionType = NET_IF_CONNECTION_DEDICATED;
    gen.IfType = IF_TYPE_ETHERNET_CSMACD;
    gen.IfConnectorPresent = TRUE;
    gen.DataBackFillSize = data_backfill;
    gen.ContextBackFillSize = context_backfill;
    s = NdisMSetMiniportAttributes(handle, &attrs);
    if (s != NDIS_STATUS_SUCCESS) {
        halted = true;
        return s;
    }
    if (!rx_.open(handle, kRxPoolTag)) {
        halted = true;
        return NDIS_STATUS_RESOURCES;
    }
    return NDIS_STATUS_SUCCESS;
}

void CaptureAdapter::set_policy(const SendPolicy &policy)
{
    NdisAcquireSpinLock(&lock_);
    policy_ = policy;
    NdisReleaseSpinLock(&lock_);
}

SendPolicy CaptureAdapter::policy()
{
    NdisAcquireSpinLock(&lock_);
    SendPolicy p = policy_;
    NdisReleaseSpinLock(&lock_);
    return p;
}

std::vector<CapturedNbl> CaptureAdapter::captured()
{
    NdisAcquireSpinLock(&lock_);
    std::vector<CapturedNbl> out = captured_;
    NdisReleaseSpinLock(&lock_);
    return out;
}

std::size_t CaptureAdapter::captured_count()
{
    NdisAcquireSpinLock(&lock_);
    std::size_t n = captured_.size();
    NdisReleaseSpinLock(&lock_);
    return n;
}

std::size_t CaptureAdapter::send_calls()
{
    NdisAcquireSpinLock(&lock_);
    std::size_t n = send_calls_;
    NdisReleaseSpinLock(&lock_);
    return n;
}

std::vector<MiniportCompletion> CaptureAdapter::completions()
{
    NdisAcquireSpinLock(&lock_);
    std::vector<MiniportCompletion> out = completions_;
    NdisReleaseSpinLock(&lock_);
    return out;
}

std::size_t CaptureAdapter::pending_count()
{
    NdisAcquireSpinLock(&lock_);
    std::size_t n = 0;
    for (const Batch &b : pending_) {
        n += b.size();
    }
    NdisReleaseSpinLock(&lock_);
    return n;
}

bool CaptureAdapter::wait_pending(std::size_t n, std::chrono::milliseconds timeout)
{
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (pending_count() < n) {
        if (std::chrono::steady_clock::now() > deadline) {
            return false;
        }
        std::this_thread::sleep_for(1ms);
    }
    return true;
}

void CaptureAdapter::on_send(PNET_BUFFER_LIST chain, NDIS_PORT_NUMBER port, ULONG flags)
{
    const KIRQL irql = KeGetCurrentIrql();
    if (!flag_tells_truth(flags, NDIS_SEND_FLAGS_DISPATCH_LEVEL)) {
        driver->flag_lies.fetch_add(1);
    }
    Batch batch;
    std::vector<CapturedNbl> records;
    for (PNET_BUFFER_LIST n = chain, next; n != nullptr; n = next) {
        next = n->Next;
        CapturedNbl c;
        c.nbl = n;
        c.tag = read_tag(n);
        c.source = n->SourceHandle;
        c.port = port;
        c.send_flags = flags;
        c.irql = irql;
        for (PNET_BUFFER nb = n->FirstNetBuffer; nb != nullptr; nb = nb->Next) {
            ++c.nbs;
        }
        std::copy(std::begin(n->NetBufferListInfo), std::end(n->NetBufferListInfo),
                  c.info.begin());
        records.push_back(c);
        n->Next = nullptr;
        batch.push_back(n);
    }
    NdisAcquireSpinLock(&lock_);
    const std::size_t call = send_calls_++;
    for (CapturedNbl &c : records) {
        c.call = call;
        captured_.push_back(c);
    }
    const SendPolicy pol = policy_;
    const bool paused = paused_;
    const bool low_power = power.load() != NdisDeviceStateD0;
    if (!paused && !low_power && pol.completer != Completer::Inline) {
        pending_.push_back(batch);
    }
    NdisReleaseSpinLock(&lock_);

    // IRQL-03: the flag tells us the IRQL; no need to ask.
    const bool at_dispatch = (flags & NDIS_SEND_FLAGS_DISPATCH_LEVEL) != 0;
    if (low_power && !paused) { // ST-19: powered down, every send is rejected
        complete_batches({batch}, Grouping::PerSend, false, NDIS_STATUS_LOW_POWER_STATE,
                         FlagMode::Truth, at_dispatch);
        return;
    }
    if (paused) { // ST-04: a paused miniport rejects at once
        complete_batches({batch}, Grouping::PerSend, false, NDIS_STATUS_PAUSED, FlagMode::Truth,
                         at_dispatch);
        return;
    }
    switch (pol.completer) {
    case Completer::Inline:
        complete_batches({batch}, pol.grouping, pol.reverse, pol.status, pol.flags, at_dispatch);
        break;
    case Completer::Manual:
        break;
    case Completer::Thread: {
        {
            std::lock_guard<std::mutex> g(worker_lock_);
            if (!worker_.joinable() && !worker_stop_) {
                worker_ = std::thread([this] { worker_main(); });
            }
            worker_kick_ = true;
        }
        worker_cv_.notify_one();
        break;
    }
    case Completer::Dpc:
        KeInsertQueueDpc(&dpc_, nullptr, nullptr);
        break;
    }
}

std::vector<CaptureAdapter::Batch> CaptureAdapter::take_batches()
{
    NdisAcquireSpinLock(&lock_);
    std::vector<Batch> out(std::make_move_iterator(pending_.begin()),
                           std::make_move_iterator(pending_.end()));
    pending_.clear();
    NdisReleaseSpinLock(&lock_);
    return out;
}

std::vector<PNET_BUFFER_LIST> CaptureAdapter::take_pending()
{
    std::vector<PNET_BUFFER_LIST> out;
    for (Batch &b : take_batches()) {
        out.insert(out.end(), b.begin(), b.end());
    }
    return out;
}

void CaptureAdapter::complete_chain(const std::vector<PNET_BUFFER_LIST> &nbls, ULONG flags,
                                    NDIS_STATUS status, bool keep_status)
{
    if (nbls.empty()) {
        return;
    }
    MiniportCompletion rec;
    rec.flags = flags;
    rec.irql = KeGetCurrentIrql();
    for (std::size_t i = 0; i < nbls.size(); ++i) {
        rec.tags.push_back(read_tag(nbls[i]));
        if (!keep_status) {
            nbls[i]->Status = status;
        }
        nbls[i]->Next = i + 1 < nbls.size() ? nbls[i + 1] : nullptr;
    }
    NdisAcquireSpinLock(&lock_);
    completions_.push_back(std::move(rec));
    NdisReleaseSpinLock(&lock_);
    // From here on the NBLs are the originators' again (MS-05).
    NdisMSendNetBufferListsComplete(handle, nbls.front(), flags);
}

void CaptureAdapter::complete_batches(std::vector<Batch> batches, Grouping grouping, bool reverse,
                                      NDIS_STATUS status, FlagMode mode, bool at_dispatch)
{
    if (batches.empty()) {
        return;
    }
    if (reverse) {
        std::reverse(batches.begin(), batches.end());
        for (Batch &b : batches) {
            std::reverse(b.begin(), b.end());
        }
    }
    std::vector<Batch> groups;
    switch (grouping) {
    case Grouping::PerSend:
        groups = std::move(batches);
        break;
    case Grouping::Merged: {
        Batch all;
        for (Batch &b : batches) {
            all.insert(all.end(), b.begin(), b.end());
        }
        groups.push_back(std::move(all));
        break;
    }
    case Grouping::Single:
        for (Batch &b : batches) {
            for (PNET_BUFFER_LIST n : b) {
                groups.push_back({n});
            }
        }
        break;
    }
    ULONG flags = 0;
    switch (mode) {
    case FlagMode::Truth:
        flags = at_dispatch ? NDIS_SEND_COMPLETE_FLAGS_DISPATCH_LEVEL : 0;
        break;
    case FlagMode::AlwaysDispatch:
        flags = NDIS_SEND_COMPLETE_FLAGS_DISPATCH_LEVEL;
        break;
    case FlagMode::NeverDispatch:
        flags = 0;
        break;
    }
    for (const Batch &g : groups) {
        complete_chain(g, flags, status, false);
    }
}

void CaptureAdapter::complete_pending(From from, Grouping grouping, bool reverse,
                                      NDIS_STATUS status, FlagMode flags)
{
    switch (from) {
    case From::Caller:
        complete_batches(take_batches(), grouping, reverse, status, flags, false);
        break;
    case From::CallerAtDispatch: {
        KIRQL old;
        NDIS_RAISE_IRQL_TO_DISPATCH(&old);
        complete_batches(take_batches(), grouping, reverse, status, flags, true);
        NDIS_LOWER_IRQL(old, DISPATCH_LEVEL);
        break;
    }
    case From::Thread: {
        std::thread t([&] {
            complete_batches(take_batches(), grouping, reverse, status, flags, false);
        });
        t.join();
        break;
    }
    case From::Dpc: {
        NdisAcquireSpinLock(&lock_);
        flush_ = FlushRequest{grouping, reverse, status, flags};
        NdisReleaseSpinLock(&lock_);
        flush_done_.store(false);
        KeInsertQueueDpc(&flush_dpc_, nullptr, nullptr);
        const auto deadline = std::chrono::steady_clock::now() + 10s;
        while (!flush_done_.load() && std::chrono::steady_clock::now() < deadline) {
            std::this_thread::sleep_for(1ms);
        }
        break;
    }
    }
}

void CaptureAdapter::on_dpc(bool flush_request)
{
    if (flush_request) {
        NdisDprAcquireSpinLock(&lock_);
        const FlushRequest f = flush_;
        NdisDprReleaseSpinLock(&lock_);
        complete_batches(take_batches(), f.grouping, f.reverse, f.status, f.flags, true);
        flush_done_.store(true);
        return;
    }
    const SendPolicy pol = policy();
    complete_batches(take_batches(), pol.grouping, pol.reverse, pol.status, pol.flags, true);
}

void CaptureAdapter::worker_main()
{
    for (;;) {
        {
            std::unique_lock<std::mutex> g(worker_lock_);
            worker_cv_.wait(g, [this] { return worker_kick_ || worker_stop_; });
            if (worker_stop_ && !worker_kick_) {
                return;
            }
            worker_kick_ = false;
        }
        const SendPolicy pol = policy();
        complete_batches(take_batches(), pol.grouping, pol.reverse, pol.status, pol.flags, false);
    }
}

void CaptureAdapter::stop_worker()
{
    {
        std::lock_guard<std::mutex> g(worker_lock_);
        worker_stop_ = true;
    }
    worker_cv_.notify_all();
    if (worker_.joinable()) {
        worker_.join();
    }
}

// ---- receive --------------------------------------------------------------------------------------

std::vector<Tag> CaptureAdapter::indicate(const Rx &rx)
{
    std::vector<Tag> tags;
    std::vector<PNET_BUFFER_LIST> nbls;
    std::vector<PNET_BUFFER> firsts;
    for (unsigned i = 0; i < rx.nbls; ++i) {
        const Tag tag = make_tag(id, next_rx_tag_.fetch_add(1));
        PNET_BUFFER_LIST n =
            rx_.make(tag, rx.shape, rx.source_override != nullptr ? rx.source_override : handle);
        if (n == nullptr) {
            break;
        }
        if (!nbls.empty()) {
            nbls.back()->Next = n;
        }
        nbls.push_back(n);
        firsts.push_back(n->FirstNetBuffer);
        tags.push_back(rx.dests.empty()
                           ? tag
                           : stamp_destination(n, rx.dests[i % rx.dests.size()],
                                               static_cast<std::uint16_t>(next_rx_tag_.fetch_add(1))));
    }
    if (nbls.empty()) {
        return tags;
    }
    const bool resources = (rx.flags & NDIS_RECEIVE_FLAGS_RESOURCES) != 0;
    if (!resources) {
        rx_outstanding_.fetch_add(static_cast<std::int64_t>(nbls.size()));
    }
    ULONG flags = rx.flags;
    const ULONG count =
        rx.count_override >= 0 ? static_cast<ULONG>(rx.count_override) : static_cast<ULONG>(nbls.size());
    KIRQL old = PASSIVE_LEVEL;
    if (rx.at_dispatch) {
        NDIS_RAISE_IRQL_TO_DISPATCH(&old);
        flags |= NDIS_RECEIVE_FLAGS_DISPATCH_LEVEL;
    }
    NdisMIndicateReceiveNetBufferLists(handle, nbls.front(), rx.port, count, flags);
    if (rx.at_dispatch) {
        NDIS_LOWER_IRQL(old, DISPATCH_LEVEL);
    }
    if (resources) {
        // MS-19 / PS-23: ours again, and the chain as we indicated it.
        bool intact = true;
        for (std::size_t i = 0; i < nbls.size(); ++i) {
            const PNET_BUFFER_LIST expected_next = i + 1 < nbls.size() ? nbls[i + 1] : nullptr;
            if (nbls[i]->Next != expected_next || nbls[i]->FirstNetBuffer != firsts[i]) {
                intact = false;
            }
        }
        last_resources_intact.store(intact);
        for (PNET_BUFFER_LIST n : nbls) {
            NblFactory::destroy(n);
        }
    }
    return tags;
}

void CaptureAdapter::on_return(PNET_BUFFER_LIST chain, ULONG flags)
{
    if (!flag_tells_truth(flags, NDIS_RETURN_FLAGS_DISPATCH_LEVEL)) {
        driver->flag_lies.fetch_add(1);
    }
    MiniportReturn rec;
    rec.flags = flags;
    rec.irql = KeGetCurrentIrql();
    std::vector<PNET_BUFFER_LIST> list;
    for (PNET_BUFFER_LIST n = chain, next; n != nullptr; n = next) {
        next = n->Next;
        rec.tags.push_back(read_tag(n));
        n->Next = nullptr;
        list.push_back(n);
    }
    NdisAcquireSpinLock(&lock_);
    returns_.push_back(std::move(rec));
    NdisReleaseSpinLock(&lock_);
    for (PNET_BUFFER_LIST n : list) {
        NblFactory::destroy(n);
    }
    rx_outstanding_.fetch_sub(static_cast<std::int64_t>(list.size()));
}

std::vector<MiniportReturn> CaptureAdapter::returns()
{
    NdisAcquireSpinLock(&lock_);
    std::vector<MiniportReturn> out = returns_;
    NdisReleaseSpinLock(&lock_);
    return out;
}

std::vector<Tag> CaptureAdapter::returned_tags()
{
    std::vector<Tag> out;
    for (const MiniportReturn &r : returns()) {
        out.insert(out.end(), r.tags.begin(), r.tags.end());
    }
    return out;
}

bool CaptureAdapter::wait_returned(std::size_t n, std::chrono::milliseconds timeout)
{
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (returned_tags().size() < n) {
        if (std::chrono::steady_clock::now() > deadline) {
            return false;
        }
        std::this_thread::sleep_for(1ms);
    }
    return true;
}

// ---- status, OIDs, pause, restart, halt --------------------------------------------------------------

void CaptureAdapter::indicate_link_state(NDIS_MEDIA_CONNECT_STATE state, ULONG64 speed)
{
    NDIS_LINK_STATE ls{};
    init_header(ls.Header, NDIS_OBJECT_TYPE_DEFAULT, NDIS_LINK_STATE_REVISION_1,
                NDIS_SIZEOF_LINK_STATE_REVISION_1);
    ls.MediaConnectState = state;
    ls.MediaDuplexState = MediaDuplexStateFull;
    ls.XmitLinkSpeed = speed;
    ls.RcvLinkSpeed = speed;
    connect_state_.store(state);
    link_speed = speed;
    NDIS_STATUS_INDICATION si{};
    init_header(si.Header, NDIS_OBJECT_TYPE_STATUS_INDICATION, NDIS_STATUS_INDICATION_REVISION_1,
                NDIS_SIZEOF_STATUS_INDICATION_REVISION_1);
    si.SourceHandle = handle;
    si.PortNumber = NDIS_DEFAULT_PORT_NUMBER;
    si.StatusCode = NDIS_STATUS_LINK_STATE;
    si.StatusBuffer = &ls;
    si.StatusBufferSize = sizeof ls;
    NdisMIndicateStatusEx(handle, &si);
}

std::vector<UCHAR> CaptureAdapter::multicast_list()
{
    NdisAcquireSpinLock(&lock_);
    std::vector<UCHAR> out = multicast_;
    NdisReleaseSpinLock(&lock_);
    return out;
}

std::vector<MiniportOid> CaptureAdapter::oids()
{
    NdisAcquireSpinLock(&lock_);
    std::vector<MiniportOid> out = oids_;
    NdisReleaseSpinLock(&lock_);
    return out;
}

NDIS_STATUS CaptureAdapter::handle_oid(PNDIS_OID_REQUEST request)
{
    if (request->RequestType == NdisRequestQueryInformation) {
        auto &q = request->DATA.QUERY_INFORMATION;
        auto put = [&q](const void *src, ULONG length) {
            if (q.InformationBufferLength < length) {
                q.BytesWritten = 0;
                q.BytesNeeded = length;
                return NDIS_STATUS_BUFFER_TOO_SHORT;
            }
            std::memcpy(q.InformationBuffer, src, length);
            q.BytesWritten = length;
            q.BytesNeeded = 0;
            return NDIS_STATUS_SUCCESS;
        };
        ULONG value = 0;
        switch (q.Oid) {
        case OID_802_3_CURRENT_ADDRESS:
            return put(current_mac, 6);
        case OID_802_3_PERMANENT_ADDRESS:
            return put(permanent_mac, 6);
        case OID_GEN_MAXIMUM_FRAME_SIZE:
            value = mtu;
            return put(&value, sizeof value);
        case OID_GEN_LINK_SPEED: // in units of 100 bps
            value = static_cast<ULONG>(link_speed / 100);
            return put(&value, sizeof value);
        case OID_GEN_MEDIA_CONNECT_STATUS:
            value = connect_state_.load() == MediaConnectStateConnected ? NdisMediaStateConnected
                                                                       : NdisMediaStateDisconnected;
            return put(&value, sizeof value);
        case OID_GEN_CURRENT_PACKET_FILTER:
            value = packet_filter_.load();
            return put(&value, sizeof value);
        case OID_802_3_MULTICAST_LIST: {
            const std::vector<UCHAR> list = multicast_list();
            return put(list.data(), static_cast<ULONG>(list.size()));
        }
        default:
            return NDIS_STATUS_NOT_SUPPORTED;
        }
    }
    if (request->RequestType == NdisRequestSetInformation) {
        auto &s = request->DATA.SET_INFORMATION;
        if (s.Oid == OID_GEN_CURRENT_PACKET_FILTER) {
            if (s.InformationBufferLength < sizeof(ULONG)) {
                s.BytesNeeded = sizeof(ULONG);
                return NDIS_STATUS_INVALID_LENGTH;
            }
            ULONG filter = 0;
            std::memcpy(&filter, s.InformationBuffer, sizeof filter);
            const ULONG supported = NDIS_PACKET_TYPE_DIRECTED | NDIS_PACKET_TYPE_MULTICAST |
                                    NDIS_PACKET_TYPE_ALL_MULTICAST | NDIS_PACKET_TYPE_BROADCAST |
                                    NDIS_PACKET_TYPE_PROMISCUOUS | NDIS_PACKET_TYPE_ALL_LOCAL;
            if ((filter & ~supported) != 0) {
                return NDIS_STATUS_NOT_SUPPORTED;
            }
            packet_filter_.store(filter);
            s.BytesRead = sizeof filter;
            return NDIS_STATUS_SUCCESS;
        }
        if (s.Oid == OID_802_3_MULTICAST_LIST) {
            const ULONG max = driver->max_multicast.load();
            if (s.InformationBufferLength % 6 != 0) {
                return NDIS_STATUS_INVALID_LENGTH;
            }
            if (s.InformationBufferLength / 6 > max) {
                return NDIS_STATUS_MULTICAST_FULL;
            }
            const auto *p = static_cast<const UCHAR *>(s.InformationBuffer);
            NdisAcquireSpinLock(&lock_);
            multicast_.assign(p, p + s.InformationBufferLength);
            NdisReleaseSpinLock(&lock_);
            s.BytesRead = s.InformationBufferLength;
            return NDIS_STATUS_SUCCESS;
        }
        return NDIS_STATUS_NOT_SUPPORTED;
    }
    return NDIS_STATUS_NOT_SUPPORTED;
}

NDIS_STATUS CaptureAdapter::on_oid(PNDIS_OID_REQUEST request)
{
    NDIS_STATUS status;
    if (request->RequestType == NdisRequestSetInformation &&
        request->DATA.SET_INFORMATION.Oid == OID_PNP_SET_POWER) {
        // ST-19: going to low power, everything held is finished first.
        if (request->DATA.SET_INFORMATION.InformationBufferLength <
            sizeof(NDIS_DEVICE_POWER_STATE)) {
            status = NDIS_STATUS_INVALID_LENGTH;
        } else {
            NDIS_DEVICE_POWER_STATE state;
            std::memcpy(&state, request->DATA.SET_INFORMATION.InformationBuffer, sizeof state);
            power.store(state);
            if (state != NdisDeviceStateD0) {
                complete_batches(take_batches(), Grouping::PerSend, false,
                                 NDIS_STATUS_LOW_POWER_STATE, FlagMode::Truth, false);
            }
            status = NDIS_STATUS_SUCCESS;
        }
    } else {
        status = handle_oid(request);
    }
    const bool pended = driver->oid_pended.load();
    NdisAcquireSpinLock(&lock_);
    oids_.push_back({request->RequestType, request->DATA.QUERY_INFORMATION.Oid, status, pended});
    NdisReleaseSpinLock(&lock_);
    if (pended) {
        NDIS_HANDLE h = handle;
        driver->helpers.run([h, request, status] { NdisMOidRequestComplete(h, request, status); },
                            20ms);
        return NDIS_STATUS_PENDING;
    }
    return status;
}

NDIS_STATUS CaptureAdapter::on_pause(PNDIS_MINIPORT_PAUSE_PARAMETERS params)
{
    pause_calls.fetch_add(1);
    pause_reason = params->PauseReason;
    NdisAcquireSpinLock(&lock_);
    paused_ = true;
    NdisReleaseSpinLock(&lock_);
    // ST-03/ST-05: what it still holds is completed before the pause completes.
    std::vector<Batch> held = take_batches();
    std::size_t n = 0;
    for (const Batch &b : held) {
        n += b.size();
    }
    flushed_at_pause.fetch_add(static_cast<int>(n));
    complete_batches(std::move(held), Grouping::PerSend, false, NDIS_STATUS_PAUSED,
                     FlagMode::Truth, false);
    if (driver->pause_mode.load() == Pend::FromThread) {
        NDIS_HANDLE h = handle;
        driver->helpers.run([h] { NdisMPauseComplete(h); }, 30ms);
        return NDIS_STATUS_PENDING;
    }
    return NDIS_STATUS_SUCCESS;
}

NDIS_STATUS CaptureAdapter::on_reset(PBOOLEAN addressing_reset)
{
    reset_calls.fetch_add(1);
    reset_irql.store(KeGetCurrentIrql());
    const NDIS_STATUS status = driver->reset_status.load();
    const bool addressing = driver->reset_addressing.load();
    // ST-16: sends held at the reset come back with RESET_IN_PROGRESS before it completes.
    if (driver->reset_flushes.load()) {
        complete_batches(take_batches(), Grouping::PerSend, false, NDIS_STATUS_RESET_IN_PROGRESS,
                         FlagMode::Truth, KeGetCurrentIrql() >= DISPATCH_LEVEL);
    }
    if (driver->reset_mode.load() == Pend::FromThread) {
        NDIS_HANDLE h = handle;
        driver->helpers.run(
            [h, status, addressing] { NdisMResetComplete(h, status, addressing ? TRUE : FALSE); },
            30ms);
        return NDIS_STATUS_PENDING;
    }
    *addressing_reset = addressing ? TRUE : FALSE;
    return status;
}

BOOLEAN CaptureAdapter::on_check_for_hang()
{
    check_for_hang_calls.fetch_add(1);
    check_for_hang_irql.store(KeGetCurrentIrql());
    return driver->hang_answer.load() ? TRUE : FALSE;
}

void CaptureAdapter::on_cancel_send(PVOID cancel_id)
{
    cancel_calls.fetch_add(1);
    // CAN-06, CAN-11: matching NBLs leave the queue under the same lock completions take them
    // from, so each is completed by exactly one path.
    Batch aborted;
    NdisAcquireSpinLock(&lock_);
    for (Batch &b : pending_) {
        Batch keep;
        for (PNET_BUFFER_LIST n : b) {
            (NDIS_GET_NET_BUFFER_LIST_CANCEL_ID(n) == cancel_id ? aborted : keep).push_back(n);
        }
        b.swap(keep);
    }
    pending_.erase(std::remove_if(pending_.begin(), pending_.end(),
                                  [](const Batch &b) { return b.empty(); }),
                   pending_.end());
    NdisReleaseSpinLock(&lock_);
    cancelled.fetch_add(static_cast<int>(aborted.size()));
    if (!aborted.empty()) {
        complete_batches({aborted}, Grouping::Merged, false, NDIS_STATUS_SEND_ABORTED,
                         FlagMode::Truth, KeGetCurrentIrql() >= DISPATCH_LEVEL);
    }
}

NDIS_STATUS CaptureAdapter::on_restart()
{
    restart_calls.fetch_add(1);
    const NDIS_STATUS status = driver->restart_status.load();
    if (status == NDIS_STATUS_SUCCESS) {
        NdisAcquireSpinLock(&lock_);
        paused_ = false;
        NdisReleaseSpinLock(&lock_);
    }
    if (driver->restart_mode.load() == Pend::FromThread) {
        NDIS_HANDLE h = handle;
        driver->helpers.run([h, status] { NdisMRestartComplete(h, status); }, 30ms);
        return NDIS_STATUS_PENDING;
    }
    return status;
}

void CaptureAdapter::on_halt()
{
    halted = true;
    driver->halt_calls.fetch_add(1);
    stop_worker();
    KeRemoveQueueDpc(&dpc_);
    KeRemoveQueueDpc(&flush_dpc_);
    KeFlushQueuedDpcs();
    rx_.close();
}

// ===================================================================================================
// Inject protocol
// ===================================================================================================

struct InjectProtocol::Box {
    DRIVER_OBJECT object;
    InjectProtocol *owner;
};

InjectProtocol *InjectProtocol::from(PDRIVER_OBJECT driver_object) noexcept
{
    return CONTAINING_RECORD(driver_object, Box, object)->owner;
}

InjectProtocol::InjectProtocol(std::string registered_name)
    : name(std::move(registered_name)), box_(std::make_unique<Box>()),
      name_(std::make_unique<NdisStr>(name)),
      registry_path_(std::make_unique<NdisStr>(registry_path_for(name)))
{
    std::memset(&box_->object, 0, sizeof box_->object);
    box_->object.Type = IO_TYPE_DRIVER;
    box_->object.Size = sizeof(DRIVER_OBJECT);
    box_->owner = this;
}

InjectProtocol::~InjectProtocol()
{
    helpers.join_all();
}

PDRIVER_OBJECT InjectProtocol::driver_object() noexcept
{
    return &box_->object;
}

InjectBinding *InjectProtocol::new_binding()
{
    auto b = std::make_unique<InjectBinding>(this);
    InjectBinding *raw = b.get();
    raw->receive_mode.store(default_receive_mode);
    std::lock_guard<std::mutex> g(lock_);
    all_.push_back(std::move(b));
    return raw;
}

void InjectProtocol::opened(InjectBinding *b, bool ok)
{
    std::lock_guard<std::mutex> g(lock_);
    (ok ? opened_ : failed_).push_back(b);
}

std::vector<InjectBinding *> InjectProtocol::bindings()
{
    std::lock_guard<std::mutex> g(lock_);
    return opened_;
}

InjectBinding *InjectProtocol::binding(std::size_t i)
{
    std::lock_guard<std::mutex> g(lock_);
    return i < opened_.size() ? opened_[i] : nullptr;
}

std::vector<InjectBinding *> InjectProtocol::failed_bindings()
{
    std::lock_guard<std::mutex> g(lock_);
    return failed_;
}

void InjectProtocol::note_damage(const std::string &what)
{
    damaged.fetch_add(1);
    std::lock_guard<std::mutex> g(lock_);
    if (first_damage_.empty()) {
        first_damage_ = what;
    }
}

std::string InjectProtocol::first_damage()
{
    std::lock_guard<std::mutex> g(lock_);
    return first_damage_;
}

namespace {

PROTOCOL_BIND_ADAPTER_EX InjectBind;
PROTOCOL_UNBIND_ADAPTER_EX InjectUnbind;
PROTOCOL_OPEN_ADAPTER_COMPLETE_EX InjectOpenComplete;
PROTOCOL_CLOSE_ADAPTER_COMPLETE_EX InjectCloseComplete;
PROTOCOL_NET_PNP_EVENT InjectPnp;
PROTOCOL_OID_REQUEST_COMPLETE InjectOidComplete;
PROTOCOL_STATUS_EX InjectStatus;
PROTOCOL_RECEIVE_NET_BUFFER_LISTS InjectReceive;
PROTOCOL_SEND_NET_BUFFER_LISTS_COMPLETE InjectSendComplete;
DRIVER_UNLOAD InjectUnload;

NDIS_STATUS InjectBind(NDIS_HANDLE ProtocolDriverContext, NDIS_HANDLE BindContext,
                       PNDIS_BIND_PARAMETERS bp)
{
    auto *p = static_cast<InjectProtocol *>(ProtocolDriverContext);
    p->bind_calls.fetch_add(1);
    p->last_bind_context = BindContext;
    InjectBinding *b = p->new_binding();
    BindInfo &i = b->info;
    i.revision = bp->Header.Revision;
    i.size = bp->Header.Size;
    i.adapter_name = narrow(bp->AdapterName);
    i.bound_adapter_name = narrow(bp->BoundAdapterName);
    i.protocol_section = narrow(bp->ProtocolSection);
    i.medium = bp->MediaType;
    i.physical_medium = bp->PhysicalMediumType;
    i.mtu = bp->MtuSize;
    i.max_xmit_speed = bp->MaxXmitLinkSpeed;
    i.xmit_speed = bp->XmitLinkSpeed;
    i.max_rcv_speed = bp->MaxRcvLinkSpeed;
    i.rcv_speed = bp->RcvLinkSpeed;
    i.connect_state = bp->MediaConnectState;
    i.duplex_state = bp->MediaDuplexState;
    i.lookahead = bp->LookaheadSize;
    i.supported_filters = bp->SupportedPacketFilters;
    i.max_multicast = bp->MaxMulticastListSize;
    i.mac_options = bp->MacOptions;
    i.mac_length = bp->MacAddressLength;
    std::memcpy(i.mac, bp->CurrentMacAddress, sizeof i.mac);
    i.data_backfill = bp->DataBackFillSize;
    i.context_backfill = bp->ContextBackFillSize;
    i.if_type = bp->IfType;
    i.access_type = bp->AccessType;
    i.connector_present = bp->IfConnectorPresent;
    i.bound_if_index = bp->BoundIfIndex;
    i.lowest_if_index = bp->LowestIfIndex;
    if (!p->protocol_probes.empty()) {
        b->protocol_config = read_config(p->protocol_handle, p->protocol_probes);
    }
    if (p->bind_mode.load() == BindMode::PendFromThread) {
        p->helpers.run(
            [p, b, BindContext] {
                const NDIS_STATUS s = b->open(BindContext);
                p->last_bind_status.store(s);
                NdisCompleteBindAdapterEx(BindContext, s);
            },
            30ms);
        return NDIS_STATUS_PENDING;
    }
    const NDIS_STATUS s = b->open(BindContext);
    p->last_bind_status.store(s);
    return s;
}

NDIS_STATUS InjectUnbind(NDIS_HANDLE, NDIS_HANDLE ProtocolBindingContext)
{
    return static_cast<InjectBinding *>(ProtocolBindingContext)->on_unbind();
}

VOID InjectOpenComplete(NDIS_HANDLE ProtocolBindingContext, NDIS_STATUS Status)
{
    auto *b = static_cast<InjectBinding *>(ProtocolBindingContext);
    b->open_complete_status.store(Status);
    b->open_complete_handle.store(b->handle);
    b->open_complete_calls.fetch_add(1);
    NdisSetEvent(&b->open_done);
}

VOID InjectCloseComplete(NDIS_HANDLE ProtocolBindingContext)
{
    auto *b = static_cast<InjectBinding *>(ProtocolBindingContext);
    b->close_complete_calls.fetch_add(1);
    NdisSetEvent(&b->close_done);
}

NDIS_STATUS InjectPnp(NDIS_HANDLE ProtocolBindingContext, PNET_PNP_EVENT_NOTIFICATION Event)
{
    if (ProtocolBindingContext == nullptr) {
        return NDIS_STATUS_SUCCESS; // protocol-wide events
    }
    return static_cast<InjectBinding *>(ProtocolBindingContext)->on_pnp(Event);
}

VOID InjectOidComplete(NDIS_HANDLE ProtocolBindingContext, PNDIS_OID_REQUEST OidRequest,
                       NDIS_STATUS Status)
{
    static_cast<InjectBinding *>(ProtocolBindingContext)->on_oid_complete(OidRequest, Status);
}

VOID InjectStatus(NDIS_HANDLE ProtocolBindingContext, PNDIS_STATUS_INDICATION StatusIndication)
{
    static_cast<InjectBinding *>(ProtocolBindingContext)->on_status(StatusIndication);
}

VOID InjectReceive(NDIS_HANDLE ProtocolBindingContext, PNET_BUFFER_LIST NetBufferLists,
                   NDIS_PORT_NUMBER PortNumber, ULONG NumberOfNetBufferLists, ULONG ReceiveFlags)
{
    static_cast<InjectBinding *>(ProtocolBindingContext)
        ->on_receive(NetBufferLists, PortNumber, NumberOfNetBufferLists, ReceiveFlags);
}

VOID InjectSendComplete(NDIS_HANDLE ProtocolBindingContext, PNET_BUFFER_LIST NetBufferList,
                        ULONG SendCompleteFlags)
{
    static_cast<InjectBinding *>(ProtocolBindingContext)
        ->on_send_complete(NetBufferList, SendCompleteFlags);
}

VOID InjectUnload(PDRIVER_OBJECT DriverObject)
{
    InjectProtocol *p = InjectProtocol::from(DriverObject);
    p->unload_calls.fetch_add(1);
    if (p->protocol_handle != nullptr) {
        NDIS_HANDLE h = p->protocol_handle;
        p->protocol_handle = nullptr;
        NdisDeregisterProtocolDriver(h);
    }
}

} // namespace

NTSTATUS InjectProtocolDriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING)
{
    InjectProtocol *p = InjectProtocol::from(DriverObject);
    NDIS_PROTOCOL_DRIVER_CHARACTERISTICS c{};
    init_header(c.Header, NDIS_OBJECT_TYPE_PROTOCOL_DRIVER_CHARACTERISTICS,
                NDIS_PROTOCOL_DRIVER_CHARACTERISTICS_REVISION_2,
                NDIS_SIZEOF_PROTOCOL_DRIVER_CHARACTERISTICS_REVISION_2);
    c.MajorNdisVersion = NDIS_PROTOCOL_MAJOR_VERSION;
    c.MinorNdisVersion = NDIS_PROTOCOL_MINOR_VERSION;
    c.MajorDriverVersion = 1;
    c.Name = *p->ndis_name();
    c.BindAdapterHandlerEx = InjectBind;
    c.UnbindAdapterHandlerEx = InjectUnbind;
    c.OpenAdapterCompleteHandlerEx = InjectOpenComplete;
    c.CloseAdapterCompleteHandlerEx = InjectCloseComplete;
    c.NetPnPEventHandler = InjectPnp;
    c.OidRequestCompleteHandler = InjectOidComplete;
    c.StatusHandlerEx = InjectStatus;
    c.ReceiveNetBufferListsHandler = InjectReceive;
    c.SendNetBufferListsCompleteHandler = InjectSendComplete;
    if (p->tweak) {
        p->tweak(c);
    }
    DriverObject->DriverUnload = InjectUnload;
    p->register_status = NdisRegisterProtocolDriver(p, &c, &p->protocol_handle);
    if (p->register_status != NDIS_STATUS_SUCCESS) {
        p->protocol_handle = nullptr;
    }
    return p->register_status;
}

// ---- binding --------------------------------------------------------------------------------------------

struct InjectBinding::SendRecord {
    std::uint32_t magic = kSendRecordMagic;
    InjectBinding *owner = nullptr;
    Tag tag = 0;
    NblSnapshot snap;
};

namespace {

// The wrapper a protocol puts around its NDIS_OID_REQUEST (the request first, so that the
// completion handler finds the wrapper from the request).
struct OidBox {
    NDIS_OID_REQUEST req;
    NDIS_EVENT done;
    std::atomic<NDIS_STATUS> status;
    std::thread::id completed_on;
};

} // namespace

InjectBinding::InjectBinding(InjectProtocol *p) : protocol(p), id(g_next_id.fetch_add(1))
{
    NdisAllocateSpinLock(&lock_);
    NdisInitializeEvent(&close_done);
    NdisInitializeEvent(&open_done);
}

InjectBinding::~InjectBinding()
{
    NdisFreeSpinLock(&lock_);
}

NDIS_STATUS InjectBinding::open(NDIS_HANDLE bind_context)
{
    NdisStr adapter_name(info.adapter_name); // bind parameters may be gone (pended bind)
    NET_FRAME_TYPE frames[] = {0x0800, 0x86DD};
    NDIS_OPEN_PARAMETERS op{};
    init_header(op.Header, NDIS_OBJECT_TYPE_OPEN_PARAMETERS, NDIS_OPEN_PARAMETERS_REVISION_1,
                NDIS_SIZEOF_OPEN_PARAMETERS_REVISION_1);
    op.AdapterName = adapter_name.get();
    op.MediumArray = protocol->media.data();
    op.MediumArraySize = static_cast<UINT>(protocol->media.size());
    op.SelectedMediumIndex = &selected_medium;
    op.FrameTypeArray = frames;
    op.FrameTypeArraySize = 2;
    NdisResetEvent(&open_done);
    NDIS_STATUS s =
        NdisOpenAdapterEx(protocol->protocol_handle, this, &op, bind_context, &handle);
    if (s == NDIS_STATUS_PENDING) {
        // PS-05: handle and selected_medium are defined once ProtocolOpenAdapterCompleteEx ran.
        open_pended.store(true);
        s = NdisWaitEvent(&open_done, 5000) ? open_complete_status.load() : NDIS_STATUS_FAILURE;
    }
    open_status = s;
    if (s == NDIS_STATUS_SUCCESS) {
        tx_.open(handle, kTxPoolTag);
        binding_config =
            read_config(handle, protocol->binding_probes, &binding_config_open_status);
    } else {
        handle = nullptr;
    }
    protocol->opened(this, s == NDIS_STATUS_SUCCESS);
    return s;
}

PNET_BUFFER_LIST InjectBinding::build(const Shape &shape, std::vector<Tag> *tags)
{
    PNET_BUFFER_LIST head = nullptr, tail = nullptr;
    for (unsigned i = 0; i < std::max(1u, shape.nbls); ++i) {
        const Tag tag = make_tag(id, next_seq_.fetch_add(1));
        PNET_BUFFER_LIST n = tx_.make(tag, shape, handle);
        if (n == nullptr) {
            break;
        }
        auto *rec = new SendRecord;
        rec->owner = this;
        rec->tag = tag;
        n->ProtocolReserved[0] = rec;
        n->Next = nullptr;
        (tail != nullptr ? tail->Next : head) = n;
        tail = n;
        if (tags != nullptr) {
            tags->push_back(tag);
        }
    }
    return head;
}

void InjectBinding::send_chain(PNET_BUFFER_LIST chain, NDIS_PORT_NUMBER port, ULONG flags)
{
    std::size_t n = 0;
    for (PNET_BUFFER_LIST nbl = chain; nbl != nullptr; nbl = nbl->Next) {
        auto *rec = static_cast<SendRecord *>(nbl->ProtocolReserved[0]);
        if (rec != nullptr && rec->magic == kSendRecordMagic) {
            rec->snap = snapshot(nbl);
        }
        ++n;
    }
    sent_.fetch_add(n);
    ++t_inside_send;
    NdisSendNetBufferLists(handle, chain, port, flags);
    --t_inside_send;
}

std::vector<Tag> InjectBinding::send(const Shape &shape, NDIS_PORT_NUMBER port, ULONG flags)
{
    std::vector<Tag> tags;
    PNET_BUFFER_LIST chain = build(shape, &tags);
    if (chain != nullptr) {
        send_chain(chain, port, flags);
    }
    return tags;
}

void InjectBinding::free_nbl(PNET_BUFFER_LIST nbl)
{
    auto *rec = static_cast<SendRecord *>(nbl->ProtocolReserved[0]);
    if (rec != nullptr && rec->magic == kSendRecordMagic) {
        rec->magic = 0;
        delete rec;
    }
    nbl->ProtocolReserved[0] = nullptr;
    NblFactory::destroy(nbl);
}

void InjectBinding::on_send_complete(PNET_BUFFER_LIST chain, ULONG flags)
{
    if (send_complete_hook) {
        send_complete_hook(chain, flags);
    }
    ProtocolCompletion c;
    c.flags = flags;
    c.irql = KeGetCurrentIrql();
    c.thread = std::this_thread::get_id();
    c.inside_send = t_inside_send > 0;
    if (!flag_tells_truth(flags, NDIS_SEND_COMPLETE_FLAGS_DISPATCH_LEVEL)) {
        protocol->flag_lies.fetch_add(1);
    }
    std::vector<PNET_BUFFER_LIST> done;
    for (PNET_BUFFER_LIST n = chain, next; n != nullptr; n = next) {
        next = n->Next;
        n->Next = nullptr;
        auto *rec = static_cast<SendRecord *>(n->ProtocolReserved[0]);
        Tag tag;
        if (rec == nullptr || rec->magic != kSendRecordMagic) {
            tag = read_tag(n);
            protocol->note_damage("completed NBL has no send record (ProtocolReserved[0] lost)");
        } else {
            tag = rec->tag;
            if (rec->owner != this) {
                protocol->wrong_binding.fetch_add(1);
            }
            const std::string d = compare(rec->snap, snapshot(n));
            if (!d.empty()) {
                protocol->note_damage(d);
            }
        }
        c.tags.push_back(tag);
        c.status.push_back(n->Status);
        done.push_back(n);
    }
    const bool keep = keep_completed.load();
    NdisAcquireSpinLock(&lock_);
    for (std::size_t i = 0; i < c.tags.size(); ++i) {
        counts_[c.tags[i]] += 1;
        status_[c.tags[i]] = c.status[i];
    }
    completed_ += c.tags.size();
    if (keep) {
        kept_.insert(kept_.end(), done.begin(), done.end());
    }
    completions_.push_back(std::move(c));
    NdisReleaseSpinLock(&lock_);
    if (!keep) {
        for (PNET_BUFFER_LIST n : done) {
            free_nbl(n);
        }
    }
}

std::vector<ProtocolCompletion> InjectBinding::completions()
{
    NdisAcquireSpinLock(&lock_);
    std::vector<ProtocolCompletion> out = completions_;
    NdisReleaseSpinLock(&lock_);
    return out;
}

std::vector<Tag> InjectBinding::completed_tags()
{
    std::vector<Tag> out;
    for (const ProtocolCompletion &c : completions()) {
        out.insert(out.end(), c.tags.begin(), c.tags.end());
    }
    return out;
}

std::size_t InjectBinding::completed_count()
{
    NdisAcquireSpinLock(&lock_);
    std::size_t n = completed_;
    NdisReleaseSpinLock(&lock_);
    return n;
}

bool InjectBinding::wait_completed(std::size_t n, std::chrono::milliseconds timeout)
{
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (completed_count() < n) {
        if (std::chrono::steady_clock::now() > deadline) {
            return false;
        }
        std::this_thread::sleep_for(1ms);
    }
    return true;
}

std::map<Tag, int> InjectBinding::completion_counts()
{
    NdisAcquireSpinLock(&lock_);
    std::map<Tag, int> out = counts_;
    NdisReleaseSpinLock(&lock_);
    return out;
}

std::map<Tag, NDIS_STATUS> InjectBinding::completion_status()
{
    NdisAcquireSpinLock(&lock_);
    std::map<Tag, NDIS_STATUS> out = status_;
    NdisReleaseSpinLock(&lock_);
    return out;
}

std::vector<PNET_BUFFER_LIST> InjectBinding::take_kept()
{
    NdisAcquireSpinLock(&lock_);
    std::vector<PNET_BUFFER_LIST> out;
    out.swap(kept_);
    NdisReleaseSpinLock(&lock_);
    return out;
}

void InjectBinding::on_receive(PNET_BUFFER_LIST chain, NDIS_PORT_NUMBER port, ULONG count,
                               ULONG flags)
{
    if (receive_hook) {
        receive_hook(chain, flags);
    }
    if (!flag_tells_truth(flags, NDIS_RECEIVE_FLAGS_DISPATCH_LEVEL)) {
        protocol->flag_lies.fetch_add(1);
    }
    ProtocolReceive r;
    r.count = count;
    r.flags = flags;
    r.port = port;
    r.irql = KeGetCurrentIrql();
    for (PNET_BUFFER_LIST n = chain; n != nullptr; n = n->Next) {
        r.tags.push_back(read_tag(n));
        r.nbls.push_back(n);
    }
    NdisAcquireSpinLock(&lock_);
    receives_.push_back(r);
    NdisReleaseSpinLock(&lock_);
    if ((flags & NDIS_RECEIVE_FLAGS_RESOURCES) != 0) {
        return; // PS-23: ours only for this call; the chain stays as it is
    }
    if (receive_mode.load() == ReceiveMode::Hold) {
        for (PNET_BUFFER_LIST n : r.nbls) {
            n->Next = nullptr;
        }
        NdisAcquireSpinLock(&lock_);
        held_.insert(held_.end(), r.nbls.begin(), r.nbls.end());
        NdisReleaseSpinLock(&lock_);
        return;
    }
    NdisReturnNetBufferLists(handle, chain,
                             (flags & NDIS_RECEIVE_FLAGS_DISPATCH_LEVEL) != 0
                                 ? NDIS_RETURN_FLAGS_DISPATCH_LEVEL
                                 : 0);
}

std::vector<ProtocolReceive> InjectBinding::receives()
{
    NdisAcquireSpinLock(&lock_);
    std::vector<ProtocolReceive> out = receives_;
    NdisReleaseSpinLock(&lock_);
    return out;
}

std::vector<Tag> InjectBinding::received_tags()
{
    std::vector<Tag> out;
    for (const ProtocolReceive &r : receives()) {
        out.insert(out.end(), r.tags.begin(), r.tags.end());
    }
    return out;
}

std::vector<PNET_BUFFER_LIST> InjectBinding::take_held()
{
    NdisAcquireSpinLock(&lock_);
    std::vector<PNET_BUFFER_LIST> out;
    out.swap(held_);
    NdisReleaseSpinLock(&lock_);
    return out;
}

std::size_t InjectBinding::held_count()
{
    NdisAcquireSpinLock(&lock_);
    std::size_t n = held_.size();
    NdisReleaseSpinLock(&lock_);
    return n;
}

void InjectBinding::return_nbls(const std::vector<PNET_BUFFER_LIST> &nbls, ULONG flags)
{
    if (nbls.empty()) {
        return;
    }
    for (std::size_t i = 0; i < nbls.size(); ++i) {
        nbls[i]->Next = i + 1 < nbls.size() ? nbls[i + 1] : nullptr;
    }
    NdisReturnNetBufferLists(handle, nbls.front(), flags);
}

PNDIS_OID_REQUEST InjectBinding::start_oid(NDIS_REQUEST_TYPE type, NDIS_OID oid, void *buffer,
                                           ULONG length, NDIS_STATUS *status)
{
    static std::atomic<std::uintptr_t> next_id{1};
    auto *box = new OidBox;
    std::memset(&box->req, 0, sizeof box->req);
    init_header(box->req.Header, NDIS_OBJECT_TYPE_OID_REQUEST, NDIS_OID_REQUEST_REVISION_1,
                NDIS_SIZEOF_OID_REQUEST_REVISION_1);
    box->req.RequestType = type;
    box->req.PortNumber = NDIS_DEFAULT_PORT_NUMBER;
    box->req.RequestId = reinterpret_cast<PVOID>(next_id.fetch_add(1));
    box->req.DATA.QUERY_INFORMATION.Oid = oid;
    box->req.DATA.QUERY_INFORMATION.InformationBuffer = buffer;
    box->req.DATA.QUERY_INFORMATION.InformationBufferLength = length;
    box->status.store(NDIS_STATUS_PENDING);
    NdisInitializeEvent(&box->done);
    *status = NdisOidRequest(handle, &box->req);
    return &box->req;
}

bool InjectBinding::wait_oid(PNDIS_OID_REQUEST request, NDIS_STATUS *status,
                             std::chrono::milliseconds timeout)
{
    auto *box = reinterpret_cast<OidBox *>(request);
    if (!NdisWaitEvent(&box->done, static_cast<UINT>(timeout.count()))) {
        return false;
    }
    *status = box->status.load();
    return true;
}

void InjectBinding::free_oid(PNDIS_OID_REQUEST request)
{
    delete reinterpret_cast<OidBox *>(request);
}

OidResult InjectBinding::request(NDIS_REQUEST_TYPE type, NDIS_OID oid, void *buffer, ULONG length)
{
    OidResult r;
    PNDIS_OID_REQUEST req = start_oid(type, oid, buffer, length, &r.status);
    if (r.status == NDIS_STATUS_PENDING) {
        r.pended = true;
        if (!wait_oid(req, &r.status)) {
            // The runtime may still complete it: never free it.
            r.status = NDIS_STATUS_REQUEST_ABORTED;
            return r;
        }
        r.completed_on = reinterpret_cast<OidBox *>(req)->completed_on;
    }
    r.bytes = type == NdisRequestSetInformation ? req->DATA.SET_INFORMATION.BytesRead
                                                : req->DATA.QUERY_INFORMATION.BytesWritten;
    r.needed = req->DATA.QUERY_INFORMATION.BytesNeeded;
    free_oid(req);
    return r;
}

void InjectBinding::on_oid_complete(PNDIS_OID_REQUEST request, NDIS_STATUS status)
{
    oid_completions.fetch_add(1);
    auto *box = reinterpret_cast<OidBox *>(request);
    box->completed_on = std::this_thread::get_id();
    box->status.store(status);
    NdisSetEvent(&box->done);
}

NDIS_STATUS InjectBinding::on_pnp(PNET_PNP_EVENT_NOTIFICATION event)
{
    const NET_PNP_EVENT_CODE code = event->NetPnPEvent.NetEvent;
    NdisAcquireSpinLock(&lock_);
    pnp_.push_back(code);
    NdisReleaseSpinLock(&lock_);
    Pend mode = Pend::No;
    if (code == NetEventPause) {
        mode = protocol->pause_mode.load();
    } else if (code == NetEventRestart) {
        mode = protocol->restart_mode.load();
    }
    if (mode == Pend::FromThread) {
        NDIS_HANDLE h = handle;
        protocol->helpers.run(
            [h, event] { NdisCompleteNetPnPEvent(h, event, NDIS_STATUS_SUCCESS); }, 30ms);
        return NDIS_STATUS_PENDING;
    }
    return NDIS_STATUS_SUCCESS;
}

std::vector<NET_PNP_EVENT_CODE> InjectBinding::pnp_events()
{
    NdisAcquireSpinLock(&lock_);
    std::vector<NET_PNP_EVENT_CODE> out = pnp_;
    NdisReleaseSpinLock(&lock_);
    return out;
}

void InjectBinding::on_status(PNDIS_STATUS_INDICATION indication)
{
    StatusRecord r;
    r.code = indication->StatusCode;
    r.source = indication->SourceHandle;
    r.port = indication->PortNumber;
    if (indication->StatusCode == NDIS_STATUS_LINK_STATE &&
        indication->StatusBuffer != nullptr &&
        indication->StatusBufferSize >= sizeof(NDIS_LINK_STATE)) {
        r.has_link_state = true;
        std::memcpy(&r.link, indication->StatusBuffer, sizeof r.link);
    }
    NdisAcquireSpinLock(&lock_);
    statuses_.push_back(r);
    NdisReleaseSpinLock(&lock_);
}

std::vector<StatusRecord> InjectBinding::statuses()
{
    NdisAcquireSpinLock(&lock_);
    std::vector<StatusRecord> out = statuses_;
    NdisReleaseSpinLock(&lock_);
    return out;
}

NDIS_STATUS InjectBinding::on_unbind()
{
    protocol->unbind_calls.fetch_add(1);
    std::vector<PNET_BUFFER_LIST> held = take_held();
    if (!held.empty()) {
        return_nbls(held, 0);
    }
    for (PNET_BUFFER_LIST n : take_kept()) {
        free_nbl(n);
    }
    NdisResetEvent(&close_done);
    const NDIS_STATUS s = NdisCloseAdapterEx(handle);
    close_status.store(s);
    if (s == NDIS_STATUS_PENDING) {
        NdisWaitEvent(&close_done, 5000);
    }
    tx_.close();
    unbound.store(true);
    return NDIS_STATUS_SUCCESS;
}

} // namespace ft
