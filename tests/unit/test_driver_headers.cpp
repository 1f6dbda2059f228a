// test_driver_headers.cpp — the driver-interface headers (ndis/wdm.h, oid.h, ndisdriver.h,
// port.h, config.h, miniport.h, protocol.h) against the x64 WDK: structure sizes and field
// offsets, NDIS_SIZEOF_*_REVISION_n, revision numbers, OID values, enum values, flags, role
// types, prototypes and the contract-version macros.
//
// Where the expected values come from (each group below names its source):
//   [PDB]   x64 type dumps of Windows 10/11 ndis.sys / ntoskrnl.exe public symbols (the
//           ntdiff "headers" dumps of NDIS and NT kernel types, e.g. _NDIS_OID_REQUEST 0xf8,
//           _NDIS_BIND_PARAMETERS 0x138, _DRIVER_OBJECT 0x150).
//   [META]  Microsoft's win32metadata for Windows.Wdk.NetworkManagement.Ndis (the constants the
//           WDK ndis.h / ntddndis.h define, as projected by windows-rs and friends), which gives
//           e.g. NDIS_SIZEOF_LINK_STATE_REVISION_1 = 40, NDIS_SIZEOF_PORT_STATE_REVISION_1 = 48.
//   [LEARN] learn.microsoft.com reference pages (field lists, "Set Size to ..." revision notes,
//           enum member order, OID values).
//   [WDK]   the WDK's ndis.h text (revision -> last field of each NDIS_SIZEOF_* macro).
// Values no source pins down (e.g. the exact size of the 802.11 attribute revisions) are only
// checked for self-consistency (NDIS_SIZEOF == RTL_SIZEOF_THROUGH_FIELD of the revision's last
// field), never against an invented number.
//
// Everything here is compile-time information: no NDIS function is called (the prototypes are
// checked with decltype), so this test does not depend on the runtime implementing them.
#include <gtest/gtest.h>
#include <ndis.h>

#include <cstddef>
#include <cstdint>
#include <type_traits>

namespace {

#define EXPECT_SIZE(T, n) EXPECT_EQ(sizeof(T), static_cast<std::size_t>(n)) << #T
#define EXPECT_OFFSET(T, f, n) \
    EXPECT_EQ(offsetof(T, f), static_cast<std::size_t>(n)) << #T "." #f
// A revision size macro is the size through the revision's last field, and (when a source
// gives it) that many bytes on x64.
#define EXPECT_SIZEOF_THROUGH(macro, T, f) \
    EXPECT_EQ(static_cast<std::size_t>(macro), \
              static_cast<std::size_t>(RTL_SIZEOF_THROUGH_FIELD(T, f))) << #macro
#define EXPECT_SIZEOF_VALUE(macro, n) \
    EXPECT_EQ(static_cast<std::size_t>(macro), static_cast<std::size_t>(n)) << #macro

struct Row {
    const char* name;
    std::uint64_t actual;
    std::uint64_t expected;
};
#define ROW(constant, value) \
    Row { #constant, static_cast<std::uint64_t>(static_cast<std::uint32_t>(constant)), \
          static_cast<std::uint64_t>(value) }

template <std::size_t N>
void check_rows(const Row (&rows)[N])
{
    for (const Row& r : rows)
        EXPECT_EQ(r.actual, r.expected) << r.name;
}

static_assert(sizeof(void*) == 8, "the expected layouts below are the x64 ones");

// ============================================================================================
// wdm.h
// ============================================================================================

// [PDB] nt!_DRIVER_OBJECT (0x150) and the public part of nt!_DRIVER_EXTENSION (wdm.h: 0x28).
TEST(DriverHeaders, DriverObjectLayout)
{
    EXPECT_SIZE(DRIVER_OBJECT, 0x150);
    EXPECT_OFFSET(DRIVER_OBJECT, Type, 0x00);
    EXPECT_OFFSET(DRIVER_OBJECT, Size, 0x02);
    EXPECT_OFFSET(DRIVER_OBJECT, DeviceObject, 0x08);
    EXPECT_OFFSET(DRIVER_OBJECT, Flags, 0x10);
    EXPECT_OFFSET(DRIVER_OBJECT, DriverStart, 0x18);
    EXPECT_OFFSET(DRIVER_OBJECT, DriverSize, 0x20);
    EXPECT_OFFSET(DRIVER_OBJECT, DriverSection, 0x28);
    EXPECT_OFFSET(DRIVER_OBJECT, DriverExtension, 0x30);
    EXPECT_OFFSET(DRIVER_OBJECT, DriverName, 0x38);
    EXPECT_OFFSET(DRIVER_OBJECT, HardwareDatabase, 0x48);
    EXPECT_OFFSET(DRIVER_OBJECT, FastIoDispatch, 0x50);
    EXPECT_OFFSET(DRIVER_OBJECT, DriverInit, 0x58);
    EXPECT_OFFSET(DRIVER_OBJECT, DriverStartIo, 0x60);
    EXPECT_OFFSET(DRIVER_OBJECT, DriverUnload, 0x68);
    EXPECT_OFFSET(DRIVER_OBJECT, MajorFunction, 0x70);
    EXPECT_EQ(RTL_NUMBER_OF(DRIVER_OBJECT{}.MajorFunction), 28u);

    EXPECT_SIZE(DRIVER_EXTENSION, 0x28);
    EXPECT_OFFSET(DRIVER_EXTENSION, AddDevice, 0x08);
    EXPECT_OFFSET(DRIVER_EXTENSION, Count, 0x10);
    EXPECT_OFFSET(DRIVER_EXTENSION, ServiceKeyName, 0x18);
}

// [LEARN] wdm.h IRP_MJ_* codes.
TEST(DriverHeaders, IrpMajorCodes)
{
    const Row rows[] = {
        ROW(IRP_MJ_CREATE, 0x00),         ROW(IRP_MJ_CLOSE, 0x02),
        ROW(IRP_MJ_READ, 0x03),           ROW(IRP_MJ_WRITE, 0x04),
        ROW(IRP_MJ_DEVICE_CONTROL, 0x0e), ROW(IRP_MJ_INTERNAL_DEVICE_CONTROL, 0x0f),
        ROW(IRP_MJ_CLEANUP, 0x12),        ROW(IRP_MJ_POWER, 0x16),
        ROW(IRP_MJ_SYSTEM_CONTROL, 0x17), ROW(IRP_MJ_PNP, 0x1b),
        ROW(IRP_MJ_MAXIMUM_FUNCTION, 0x1b),
    };
    check_rows(rows);
}

TEST(DriverHeaders, DriverRoleTypes)
{
    static_assert(std::is_same_v<DRIVER_INITIALIZE, NTSTATUS(PDRIVER_OBJECT, PUNICODE_STRING)>);
    static_assert(std::is_same_v<DRIVER_UNLOAD, VOID(PDRIVER_OBJECT)>);
    static_assert(std::is_same_v<PDRIVER_INITIALIZE, DRIVER_INITIALIZE*>);
    static_assert(std::is_same_v<decltype(DriverEntry), DRIVER_INITIALIZE>);
    static_assert(std::is_same_v<decltype(DRIVER_OBJECT::DriverUnload), PDRIVER_UNLOAD>);
    SUCCEED();
}

// ============================================================================================
// Contract versions (ndisdriver.h)
// ============================================================================================

// OpenNDIS implements NDIS 6.86 (NDIS_RUNTIME_VERSION_686); a driver that names no NDISxxx
// contract gets that one.
TEST(DriverHeaders, ContractVersions)
{
    EXPECT_EQ(NDIS_MINIPORT_MAJOR_VERSION, 6);
    EXPECT_EQ(NDIS_MINIPORT_MINOR_VERSION, 86);
    EXPECT_EQ(NDIS_PROTOCOL_MAJOR_VERSION, 6);
    EXPECT_EQ(NDIS_PROTOCOL_MINOR_VERSION, 86);
    EXPECT_EQ(NDIS_FILTER_MAJOR_VERSION, 6);
    EXPECT_EQ(NDIS_FILTER_MINOR_VERSION, 86);
    EXPECT_EQ(OPENNDIS_NDIS_RUNTIME_VERSION, NDIS_RUNTIME_VERSION_686);
    EXPECT_EQ((OPENNDIS_NDIS_MAJOR_VERSION << 16) | OPENNDIS_NDIS_MINOR_VERSION,
              NDIS_RUNTIME_VERSION_686);
    EXPECT_EQ(NDIS_SUPPORT_NDIS6, 1);
    EXPECT_EQ(NDIS_SUPPORT_NDIS61, 1);
    EXPECT_EQ(NDIS_SUPPORT_NDIS620, 1);
    EXPECT_EQ(NDIS_SUPPORT_NDIS630, 1);
    EXPECT_EQ(NDIS_SUPPORT_NDIS650, 1);
    EXPECT_EQ(NDIS_SUPPORT_NDIS683, 1);
    EXPECT_EQ(NDIS_SUPPORT_NDIS686, 1);
    EXPECT_EQ(NDIS_SUPPORT_NDIS687, 0);
    EXPECT_EQ(NDIS_LEGACY_MINIPORT, 0);
    EXPECT_EQ(NDIS_LEGACY_PROTOCOL, 0);
    static_assert(std::is_same_v<decltype(NdisGetVersion), UINT(VOID)>);
}

struct ContextProbe {
    int x;
};

TEST(DriverHeaders, DeclareContextMacrosCompile)
{
    NDIS_DECLARE_MINIPORT_DRIVER_CONTEXT(ContextProbe);
    NDIS_DECLARE_MINIPORT_ADAPTER_CONTEXT(ContextProbe);
    NDIS_DECLARE_PROTOCOL_DRIVER_CONTEXT(ContextProbe);
    NDIS_DECLARE_PROTOCOL_OPEN_CONTEXT(ContextProbe);
    NDIS_DECLARE_FILTER_DRIVER_CONTEXT(ContextProbe);
    NDIS_DECLARE_FILTER_MODULE_CONTEXT(ContextProbe);
    SUCCEED();
}

// ============================================================================================
// oid.h
// ============================================================================================

// [PDB] ndis!_NDIS_OID_REQUEST (0xf8); [WDK] revision 1 ends at Reserved2, revision 2 at Flags.
TEST(DriverHeaders, OidRequestLayout)
{
    EXPECT_SIZE(NDIS_OID_REQUEST, 0xF8);
    EXPECT_OFFSET(NDIS_OID_REQUEST, RequestType, 0x04);
    EXPECT_OFFSET(NDIS_OID_REQUEST, PortNumber, 0x08);
    EXPECT_OFFSET(NDIS_OID_REQUEST, Timeout, 0x0C);
    EXPECT_OFFSET(NDIS_OID_REQUEST, RequestId, 0x10);
    EXPECT_OFFSET(NDIS_OID_REQUEST, RequestHandle, 0x18);
    EXPECT_OFFSET(NDIS_OID_REQUEST, DATA, 0x20);
    EXPECT_EQ(sizeof(NDIS_OID_REQUEST{}.DATA), 0x28u);
    EXPECT_OFFSET(NDIS_OID_REQUEST, NdisReserved, 0x48);
    EXPECT_OFFSET(NDIS_OID_REQUEST, MiniportReserved, 0xC8);
    EXPECT_OFFSET(NDIS_OID_REQUEST, SourceReserved, 0xD8);
    EXPECT_OFFSET(NDIS_OID_REQUEST, SupportedRevision, 0xE8);
    EXPECT_OFFSET(NDIS_OID_REQUEST, Reserved1, 0xE9);
    EXPECT_OFFSET(NDIS_OID_REQUEST, Reserved2, 0xEA);
    EXPECT_OFFSET(NDIS_OID_REQUEST, SwitchId, 0xEC);
    EXPECT_OFFSET(NDIS_OID_REQUEST, VPortId, 0xF0);
    EXPECT_OFFSET(NDIS_OID_REQUEST, Flags, 0xF4);
    // The DATA members overlay; the common fields line up.
    EXPECT_OFFSET(NDIS_OID_REQUEST, DATA.QUERY_INFORMATION.Oid, 0x20);
    EXPECT_OFFSET(NDIS_OID_REQUEST, DATA.QUERY_INFORMATION.InformationBuffer, 0x28);
    EXPECT_OFFSET(NDIS_OID_REQUEST, DATA.QUERY_INFORMATION.InformationBufferLength, 0x30);
    EXPECT_OFFSET(NDIS_OID_REQUEST, DATA.QUERY_INFORMATION.BytesWritten, 0x34);
    EXPECT_OFFSET(NDIS_OID_REQUEST, DATA.QUERY_INFORMATION.BytesNeeded, 0x38);
    EXPECT_OFFSET(NDIS_OID_REQUEST, DATA.SET_INFORMATION.BytesRead, 0x34);
    EXPECT_OFFSET(NDIS_OID_REQUEST, DATA.SET_INFORMATION.BytesNeeded, 0x38);
    EXPECT_OFFSET(NDIS_OID_REQUEST, DATA.METHOD_INFORMATION.InputBufferLength, 0x30);
    EXPECT_OFFSET(NDIS_OID_REQUEST, DATA.METHOD_INFORMATION.OutputBufferLength, 0x34);
    EXPECT_OFFSET(NDIS_OID_REQUEST, DATA.METHOD_INFORMATION.MethodId, 0x38);
    EXPECT_OFFSET(NDIS_OID_REQUEST, DATA.METHOD_INFORMATION.BytesNeeded, 0x44);

    EXPECT_SIZEOF_THROUGH(NDIS_SIZEOF_OID_REQUEST_REVISION_1, NDIS_OID_REQUEST, Reserved2);
    EXPECT_SIZEOF_THROUGH(NDIS_SIZEOF_OID_REQUEST_REVISION_2, NDIS_OID_REQUEST, Flags);
    EXPECT_SIZEOF_VALUE(NDIS_SIZEOF_OID_REQUEST_REVISION_1, 0xEC);
    EXPECT_SIZEOF_VALUE(NDIS_SIZEOF_OID_REQUEST_REVISION_2, 0xF8);
    EXPECT_EQ(NDIS_OID_REQUEST_REVISION_1, 1);
    EXPECT_EQ(NDIS_OID_REQUEST_REVISION_2, 2);
}

// [LEARN] NDIS_REQUEST_TYPE member order (NdisRequestMethod = 12).
TEST(DriverHeaders, RequestTypeValues)
{
    const Row rows[] = {
        ROW(NdisRequestQueryInformation, 0), ROW(NdisRequestSetInformation, 1),
        ROW(NdisRequestQueryStatistics, 2),  ROW(NdisRequestOpen, 3),
        ROW(NdisRequestClose, 4),            ROW(NdisRequestSend, 5),
        ROW(NdisRequestTransferData, 6),     ROW(NdisRequestReset, 7),
        ROW(NdisRequestGeneric1, 8),         ROW(NdisRequestGeneric4, 11),
        ROW(NdisRequestMethod, 12),
    };
    check_rows(rows);
}

// [LEARN]/[META] OID values (ntddndis.h).
TEST(DriverHeaders, OidValues)
{
    const Row rows[] = {
        ROW(OID_GEN_SUPPORTED_LIST, 0x00010101),
        ROW(OID_GEN_HARDWARE_STATUS, 0x00010102),
        ROW(OID_GEN_MEDIA_SUPPORTED, 0x00010103),
        ROW(OID_GEN_MEDIA_IN_USE, 0x00010104),
        ROW(OID_GEN_MAXIMUM_LOOKAHEAD, 0x00010105),
        ROW(OID_GEN_MAXIMUM_FRAME_SIZE, 0x00010106),
        ROW(OID_GEN_LINK_SPEED, 0x00010107),
        ROW(OID_GEN_TRANSMIT_BUFFER_SPACE, 0x00010108),
        ROW(OID_GEN_RECEIVE_BUFFER_SPACE, 0x00010109),
        ROW(OID_GEN_TRANSMIT_BLOCK_SIZE, 0x0001010A),
        ROW(OID_GEN_RECEIVE_BLOCK_SIZE, 0x0001010B),
        ROW(OID_GEN_VENDOR_ID, 0x0001010C),
        ROW(OID_GEN_VENDOR_DESCRIPTION, 0x0001010D),
        ROW(OID_GEN_CURRENT_PACKET_FILTER, 0x0001010E),
        ROW(OID_GEN_CURRENT_LOOKAHEAD, 0x0001010F),
        ROW(OID_GEN_DRIVER_VERSION, 0x00010110),
        ROW(OID_GEN_MAXIMUM_TOTAL_SIZE, 0x00010111),
        ROW(OID_GEN_PROTOCOL_OPTIONS, 0x00010112),
        ROW(OID_GEN_MAC_OPTIONS, 0x00010113),
        ROW(OID_GEN_MEDIA_CONNECT_STATUS, 0x00010114),
        ROW(OID_GEN_MAXIMUM_SEND_PACKETS, 0x00010115),
        ROW(OID_GEN_VENDOR_DRIVER_VERSION, 0x00010116),
        ROW(OID_GEN_SUPPORTED_GUIDS, 0x00010117),
        ROW(OID_GEN_NETWORK_LAYER_ADDRESSES, 0x00010118),
        ROW(OID_GEN_TRANSPORT_HEADER_OFFSET, 0x00010119),
        ROW(OID_GEN_MEDIA_CAPABILITIES, 0x00010201),
        ROW(OID_GEN_PHYSICAL_MEDIUM, 0x00010202),
        ROW(OID_GEN_RECEIVE_SCALE_CAPABILITIES, 0x00010203),
        ROW(OID_GEN_RECEIVE_SCALE_PARAMETERS, 0x00010204),
        ROW(OID_GEN_MAC_ADDRESS, 0x00010205),
        ROW(OID_GEN_MAX_LINK_SPEED, 0x00010206),
        ROW(OID_GEN_LINK_STATE, 0x00010207),
        ROW(OID_GEN_LINK_PARAMETERS, 0x00010208),
        ROW(OID_GEN_INTERRUPT_MODERATION, 0x00010209),
        ROW(OID_GEN_ENUMERATE_PORTS, 0x0001020D),
        ROW(OID_GEN_PORT_STATE, 0x0001020E),
        ROW(OID_GEN_PORT_AUTHENTICATION_PARAMETERS, 0x0001020F),
        ROW(OID_GEN_PCI_DEVICE_CUSTOM_PROPERTIES, 0x00010211),
        ROW(OID_GEN_PHYSICAL_MEDIUM_EX, 0x00010213),
        ROW(OID_GEN_MINIPORT_RESTART_ATTRIBUTES, 0x0001021D),
        ROW(OID_GEN_PROMISCUOUS_MODE, 0x00010280),
        ROW(OID_GEN_OPERATIONAL_STATUS, 0x00010283),
        ROW(OID_GEN_XMIT_LINK_SPEED, 0x00010284),
        ROW(OID_GEN_RCV_LINK_SPEED, 0x00010285),
        ROW(OID_GEN_INTERFACE_INFO, 0x00010287),
        ROW(OID_GEN_MEDIA_CONNECT_STATUS_EX, 0x0001028A),
        ROW(OID_GEN_LINK_SPEED_EX, 0x0001028B),
        ROW(OID_GEN_MEDIA_DUPLEX_STATE, 0x0001028C),
        ROW(OID_GEN_IP_OPER_STATUS, 0x0001028D),
        ROW(OID_GEN_XMIT_OK, 0x00020101),
        ROW(OID_GEN_RCV_OK, 0x00020102),
        ROW(OID_GEN_XMIT_ERROR, 0x00020103),
        ROW(OID_GEN_RCV_ERROR, 0x00020104),
        ROW(OID_GEN_RCV_NO_BUFFER, 0x00020105),
        ROW(OID_GEN_STATISTICS, 0x00020106),
        ROW(OID_GEN_DIRECTED_BYTES_XMIT, 0x00020201),
        ROW(OID_GEN_DIRECTED_FRAMES_XMIT, 0x00020202),
        ROW(OID_GEN_MULTICAST_BYTES_XMIT, 0x00020203),
        ROW(OID_GEN_MULTICAST_FRAMES_XMIT, 0x00020204),
        ROW(OID_GEN_BROADCAST_BYTES_XMIT, 0x00020205),
        ROW(OID_GEN_BROADCAST_FRAMES_XMIT, 0x00020206),
        ROW(OID_GEN_DIRECTED_BYTES_RCV, 0x00020207),
        ROW(OID_GEN_DIRECTED_FRAMES_RCV, 0x00020208),
        ROW(OID_GEN_MULTICAST_BYTES_RCV, 0x00020209),
        ROW(OID_GEN_MULTICAST_FRAMES_RCV, 0x0002020A),
        ROW(OID_GEN_BROADCAST_BYTES_RCV, 0x0002020B),
        ROW(OID_GEN_BROADCAST_FRAMES_RCV, 0x0002020C),
        ROW(OID_GEN_RCV_CRC_ERROR, 0x0002020D),
        ROW(OID_GEN_TRANSMIT_QUEUE_LENGTH, 0x0002020E),
        ROW(OID_GEN_INIT_TIME_MS, 0x00020213),
        ROW(OID_GEN_RESET_COUNTS, 0x00020214),
        ROW(OID_GEN_MEDIA_SENSE_COUNTS, 0x00020215),
        ROW(OID_GEN_BYTES_RCV, 0x00020219),
        ROW(OID_GEN_BYTES_XMIT, 0x0002021A),
        ROW(OID_GEN_RCV_DISCARDS, 0x0002021B),
        ROW(OID_GEN_XMIT_DISCARDS, 0x0002021C),
        ROW(OID_802_3_PERMANENT_ADDRESS, 0x01010101),
        ROW(OID_802_3_CURRENT_ADDRESS, 0x01010102),
        ROW(OID_802_3_MULTICAST_LIST, 0x01010103),
        ROW(OID_802_3_MAXIMUM_LIST_SIZE, 0x01010104),
        ROW(OID_802_3_MAC_OPTIONS, 0x01010105),
        ROW(OID_802_3_ADD_MULTICAST_ADDRESS, 0x01010208),
        ROW(OID_802_3_DELETE_MULTICAST_ADDRESS, 0x01010209),
        ROW(OID_802_3_RCV_ERROR_ALIGNMENT, 0x01020101),
        ROW(OID_802_3_XMIT_ONE_COLLISION, 0x01020102),
        ROW(OID_802_3_XMIT_MORE_COLLISIONS, 0x01020103),
        ROW(OID_802_3_XMIT_DEFERRED, 0x01020201),
        ROW(OID_802_3_XMIT_MAX_COLLISIONS, 0x01020202),
        ROW(OID_802_3_RCV_OVERRUN, 0x01020203),
        ROW(OID_802_3_XMIT_UNDERRUN, 0x01020204),
        ROW(OID_802_3_XMIT_HEARTBEAT_FAILURE, 0x01020205),
        ROW(OID_802_3_XMIT_TIMES_CRS_LOST, 0x01020206),
        ROW(OID_802_3_XMIT_LATE_COLLISIONS, 0x01020207),
        ROW(OID_PNP_CAPABILITIES, 0xFD010100),
        ROW(OID_PNP_SET_POWER, 0xFD010101),
        ROW(OID_PNP_QUERY_POWER, 0xFD010102),
        ROW(OID_PNP_ADD_WAKE_UP_PATTERN, 0xFD010103),
        ROW(OID_PNP_REMOVE_WAKE_UP_PATTERN, 0xFD010104),
        ROW(OID_PNP_WAKE_UP_PATTERN_LIST, 0xFD010105),
        ROW(OID_PNP_ENABLE_WAKE_UP, 0xFD010106),
        ROW(OID_TCP_OFFLOAD_CURRENT_CONFIG, 0xFC01020B),
        ROW(OID_TCP_OFFLOAD_PARAMETERS, 0xFC01020C),
        ROW(OID_TCP_OFFLOAD_HARDWARE_CAPABILITIES, 0xFC01020D),
        ROW(OID_OFFLOAD_ENCAPSULATION, 0x0101010A),
    };
    check_rows(rows);
}

// [LEARN] interface enums and types (ifdef.h / ipifcons.h / ntddndis.h).
TEST(DriverHeaders, InterfaceAndMediaEnums)
{
    const Row rows[] = {
        ROW(NET_IF_ACCESS_LOOPBACK, 1), ROW(NET_IF_ACCESS_BROADCAST, 2),
        ROW(NET_IF_ACCESS_POINT_TO_POINT, 3), ROW(NET_IF_ACCESS_POINT_TO_MULTI_POINT, 4),
        ROW(NET_IF_DIRECTION_SENDRECEIVE, 0), ROW(NET_IF_DIRECTION_SENDONLY, 1),
        ROW(NET_IF_DIRECTION_RECEIVEONLY, 2),
        ROW(NET_IF_CONNECTION_DEDICATED, 1), ROW(NET_IF_CONNECTION_PASSIVE, 2),
        ROW(NET_IF_CONNECTION_DEMAND, 3),
        ROW(MediaConnectStateUnknown, 0), ROW(MediaConnectStateConnected, 1),
        ROW(MediaConnectStateDisconnected, 2),
        ROW(MediaDuplexStateUnknown, 0), ROW(MediaDuplexStateHalf, 1),
        ROW(MediaDuplexStateFull, 2),
        ROW(IF_TYPE_ETHERNET_CSMACD, 6), ROW(IF_TYPE_SOFTWARE_LOOPBACK, 24),
        ROW(IF_TYPE_IEEE80211, 71), ROW(IF_TYPE_TUNNEL, 131),
        ROW(NdisHardwareStatusReady, 0), ROW(NdisHardwareStatusNotReady, 4),
        ROW(NdisMediaStateConnected, 0), ROW(NdisMediaStateDisconnected, 1),
        ROW(NdisPhysicalMediumUnspecified, 0), ROW(NdisPhysicalMediumNative802_11, 9),
        ROW(NdisPhysicalMedium802_3, 14), ROW(NdisPhysicalMediumOther, 19),
        ROW(NdisDeviceStateUnspecified, 0), ROW(NdisDeviceStateD0, 1),
        ROW(NdisDeviceStateD3, 4), ROW(NdisDeviceStateMaximum, 5),
        ROW(NdisPauseFunctionsUnsupported, 0), ROW(NdisPauseFunctionsSendAndReceive, 3),
        ROW(NdisPauseFunctionsUnknown, 4),
        ROW(NDIS_MAX_PHYS_ADDRESS_LENGTH, 32),
        ROW(NDIS_ETH_TYPE_802_1X, 0x888E), ROW(NDIS_ETH_TYPE_802_1Q, 0x8100),
    };
    check_rows(rows);
    EXPECT_SIZE(NET_LUID, 8);
    EXPECT_SIZE(NET_IFINDEX, 4);
    EXPECT_SIZE(NET_IFTYPE, 2);
    NET_LUID luid{};
    luid.Info.IfType = IF_TYPE_ETHERNET_CSMACD;
    luid.Info.NetLuidIndex = 5;
    EXPECT_EQ(luid.Value, (6ull << 48) | (5ull << 24));
}

// [META] NDIS_SIZEOF_LINK_STATE_REVISION_1 = 40, LINK_PARAMETERS = 32, STATISTICS_INFO = 152,
// INTERRUPT_MODERATION_PARAMETERS = 12, PCI_DEVICE_CUSTOM_PROPERTIES 40 / 52;
// [PDB] NDIS_PM_CAPABILITIES 0x3c, NDIS_PNP_CAPABILITIES 0x10.
TEST(DriverHeaders, OidPayloadLayouts)
{
    EXPECT_SIZE(NDIS_LINK_STATE, 40);
    EXPECT_OFFSET(NDIS_LINK_STATE, XmitLinkSpeed, 0x10);
    EXPECT_OFFSET(NDIS_LINK_STATE, PauseFunctions, 0x20);
    EXPECT_SIZEOF_THROUGH(NDIS_SIZEOF_LINK_STATE_REVISION_1, NDIS_LINK_STATE,
                          AutoNegotiationFlags);
    EXPECT_SIZEOF_VALUE(NDIS_SIZEOF_LINK_STATE_REVISION_1, 40);

    EXPECT_SIZEOF_THROUGH(NDIS_SIZEOF_LINK_PARAMETERS_REVISION_1, NDIS_LINK_PARAMETERS,
                          AutoNegotiationFlags);
    EXPECT_SIZEOF_VALUE(NDIS_SIZEOF_LINK_PARAMETERS_REVISION_1, 32);
    EXPECT_SIZE(NDIS_LINK_SPEED, 16);

    EXPECT_SIZEOF_THROUGH(NDIS_SIZEOF_INTERRUPT_MODERATION_PARAMETERS_REVISION_1,
                          NDIS_INTERRUPT_MODERATION_PARAMETERS, InterruptModeration);
    EXPECT_SIZEOF_VALUE(NDIS_SIZEOF_INTERRUPT_MODERATION_PARAMETERS_REVISION_1, 12);

    EXPECT_SIZE(NDIS_STATISTICS_INFO, 152);
    EXPECT_OFFSET(NDIS_STATISTICS_INFO, ifInDiscards, 0x08);
    EXPECT_OFFSET(NDIS_STATISTICS_INFO, ifHCOutBroadcastOctets, 0x90);
    EXPECT_SIZEOF_THROUGH(NDIS_SIZEOF_STATISTICS_INFO_REVISION_1, NDIS_STATISTICS_INFO,
                          ifHCOutBroadcastOctets);
    EXPECT_SIZEOF_VALUE(NDIS_SIZEOF_STATISTICS_INFO_REVISION_1, 152);

    EXPECT_SIZE(NDIS_PNP_CAPABILITIES, 0x10);
    EXPECT_SIZE(NDIS_PM_CAPABILITIES, 0x3C);
    EXPECT_SIZEOF_THROUGH(NDIS_SIZEOF_NDIS_PM_CAPABILITIES_REVISION_1, NDIS_PM_CAPABILITIES,
                          MinLinkChangeWakeUp);
    EXPECT_SIZEOF_THROUGH(NDIS_SIZEOF_NDIS_PM_CAPABILITIES_REVISION_2, NDIS_PM_CAPABILITIES,
                          MediaSpecificWakeUpEvents);

    EXPECT_SIZEOF_THROUGH(NDIS_SIZEOF_PCI_DEVICE_CUSTOM_PROPERTIES_REVISION_1,
                          NDIS_PCI_DEVICE_CUSTOM_PROPERTIES, MaxLinkWidth);
    EXPECT_SIZEOF_THROUGH(NDIS_SIZEOF_PCI_DEVICE_CUSTOM_PROPERTIES_REVISION_2,
                          NDIS_PCI_DEVICE_CUSTOM_PROPERTIES, MaxInterruptMessages);
    EXPECT_SIZEOF_VALUE(NDIS_SIZEOF_PCI_DEVICE_CUSTOM_PROPERTIES_REVISION_1, 40);
    EXPECT_SIZEOF_VALUE(NDIS_SIZEOF_PCI_DEVICE_CUSTOM_PROPERTIES_REVISION_2, 52);
}

// [LEARN]/[META] NDIS_STATISTICS_INFO.SupportedStatistics bits.
TEST(DriverHeaders, StatisticsValidFlags)
{
    const Row rows[] = {
        ROW(NDIS_STATISTICS_FLAGS_VALID_DIRECTED_FRAMES_RCV, 0x00000001),
        ROW(NDIS_STATISTICS_FLAGS_VALID_BYTES_RCV, 0x00000008),
        ROW(NDIS_STATISTICS_FLAGS_VALID_XMIT_ERROR, 0x00000400),
        ROW(NDIS_STATISTICS_FLAGS_VALID_XMIT_DISCARDS, 0x00008000),
        ROW(NDIS_STATISTICS_FLAGS_VALID_DIRECTED_BYTES_RCV, 0x00010000),
        ROW(NDIS_STATISTICS_FLAGS_VALID_BROADCAST_BYTES_XMIT, 0x00200000),
    };
    check_rows(rows);
}

// ============================================================================================
// ndisdriver.h: PnP events, status indications, restart attributes
// ============================================================================================

// [PDB] _NET_PNP_EVENT 0x98, _NET_PNP_EVENT_NOTIFICATION 0xb0, _NDIS_STATUS_INDICATION 0x70,
// _NDIS_RESTART_ATTRIBUTES 0x20, _NDIS_RESTART_GENERAL_ATTRIBUTES 0x58.
TEST(DriverHeaders, PnpStatusRestartLayouts)
{
    EXPECT_SIZE(NET_PNP_EVENT, 0x98);
    EXPECT_OFFSET(NET_PNP_EVENT, Buffer, 0x08);
    EXPECT_OFFSET(NET_PNP_EVENT, BufferLength, 0x10);
    EXPECT_OFFSET(NET_PNP_EVENT, NdisReserved, 0x18);
    EXPECT_OFFSET(NET_PNP_EVENT, TdiClientReserved, 0x78);

    EXPECT_SIZE(NET_PNP_EVENT_NOTIFICATION, 0xB0);
    EXPECT_OFFSET(NET_PNP_EVENT_NOTIFICATION, PortNumber, 0x04);
    EXPECT_OFFSET(NET_PNP_EVENT_NOTIFICATION, NetPnPEvent, 0x08);
    EXPECT_OFFSET(NET_PNP_EVENT_NOTIFICATION, Flags, 0xA0);
    EXPECT_OFFSET(NET_PNP_EVENT_NOTIFICATION, SwitchId, 0xA4);
    EXPECT_OFFSET(NET_PNP_EVENT_NOTIFICATION, VPortId, 0xA8);
    EXPECT_SIZEOF_THROUGH(NDIS_SIZEOF_NET_PNP_EVENT_NOTIFICATION_REVISION_1,
                          NET_PNP_EVENT_NOTIFICATION, Flags);
    EXPECT_SIZEOF_THROUGH(NDIS_SIZEOF_NET_PNP_EVENT_NOTIFICATION_REVISION_2,
                          NET_PNP_EVENT_NOTIFICATION, VPortId);

    EXPECT_SIZE(NDIS_STATUS_INDICATION, 0x70);
    EXPECT_OFFSET(NDIS_STATUS_INDICATION, SourceHandle, 0x08);
    EXPECT_OFFSET(NDIS_STATUS_INDICATION, PortNumber, 0x10);
    EXPECT_OFFSET(NDIS_STATUS_INDICATION, StatusCode, 0x14);
    EXPECT_OFFSET(NDIS_STATUS_INDICATION, Flags, 0x18);
    EXPECT_OFFSET(NDIS_STATUS_INDICATION, DestinationHandle, 0x20);
    EXPECT_OFFSET(NDIS_STATUS_INDICATION, RequestId, 0x28);
    EXPECT_OFFSET(NDIS_STATUS_INDICATION, StatusBuffer, 0x30);
    EXPECT_OFFSET(NDIS_STATUS_INDICATION, StatusBufferSize, 0x38);
    EXPECT_OFFSET(NDIS_STATUS_INDICATION, Guid, 0x3C);
    EXPECT_OFFSET(NDIS_STATUS_INDICATION, NdisReserved, 0x50);
    EXPECT_SIZEOF_THROUGH(NDIS_SIZEOF_STATUS_INDICATION_REVISION_1, NDIS_STATUS_INDICATION,
                          NdisReserved);
    EXPECT_SIZEOF_VALUE(NDIS_SIZEOF_STATUS_INDICATION_REVISION_1, 0x70);
    EXPECT_EQ(NDIS_STATUS_INDICATION_REVISION_1, 1);
    EXPECT_SIZE(GUID, 16);

    EXPECT_SIZE(NDIS_RESTART_ATTRIBUTES, 0x20);
    EXPECT_OFFSET(NDIS_RESTART_ATTRIBUTES, Oid, 0x08);
    EXPECT_OFFSET(NDIS_RESTART_ATTRIBUTES, DataLength, 0x0C);
    EXPECT_OFFSET(NDIS_RESTART_ATTRIBUTES, Data, 0x10);

    EXPECT_SIZE(NDIS_RESTART_GENERAL_ATTRIBUTES, 0x58);
    EXPECT_OFFSET(NDIS_RESTART_GENERAL_ATTRIBUTES, MaxXmitLinkSpeed, 0x08);
    EXPECT_OFFSET(NDIS_RESTART_GENERAL_ATTRIBUTES, RecvScaleCapabilities, 0x28);
    EXPECT_OFFSET(NDIS_RESTART_GENERAL_ATTRIBUTES, SupportedOidList, 0x48);
    EXPECT_OFFSET(NDIS_RESTART_GENERAL_ATTRIBUTES, MaxLookaheadSizeAccessed, 0x54);
    EXPECT_SIZEOF_THROUGH(NDIS_SIZEOF_RESTART_GENERAL_ATTRIBUTES_REVISION_1,
                          NDIS_RESTART_GENERAL_ATTRIBUTES, SupportedOidListLength);
    EXPECT_SIZEOF_THROUGH(NDIS_SIZEOF_RESTART_GENERAL_ATTRIBUTES_REVISION_2,
                          NDIS_RESTART_GENERAL_ATTRIBUTES, MaxLookaheadSizeAccessed);
}

// [LEARN] NET_PNP_EVENT_CODE order; NET_DEVICE_POWER_STATE; [META] pause reasons.
TEST(DriverHeaders, PnpEventValues)
{
    const Row rows[] = {
        ROW(NetEventSetPower, 0),         ROW(NetEventQueryPower, 1),
        ROW(NetEventQueryRemoveDevice, 2), ROW(NetEventCancelRemoveDevice, 3),
        ROW(NetEventReconfigure, 4),       ROW(NetEventBindList, 5),
        ROW(NetEventBindsComplete, 6),     ROW(NetEventPnPCapabilities, 7),
        ROW(NetEventPause, 8),             ROW(NetEventRestart, 9),
        ROW(NetEventPortActivation, 10),   ROW(NetEventPortDeactivation, 11),
        ROW(NetEventIMReEnableDevice, 12),
        ROW(NetDeviceStateUnspecified, 0), ROW(NetDeviceStateD0, 1), ROW(NetDeviceStateD3, 4),
        ROW(NDIS_PAUSE_NDIS_INTERNAL, 0x1), ROW(NDIS_PAUSE_LOW_POWER, 0x2),
        ROW(NDIS_PAUSE_BIND_PROTOCOL, 0x4), ROW(NDIS_PAUSE_UNBIND_PROTOCOL, 0x8),
        ROW(NDIS_PAUSE_ATTACH_FILTER, 0x10), ROW(NDIS_PAUSE_DETACH_FILTER, 0x20),
        ROW(NDIS_PAUSE_FILTER_RESTART_STACK, 0x40), ROW(NDIS_PAUSE_MINIPORT_DEVICE_REMOVE, 0x80),
        ROW(NET_EVENT_HALT_MINIPORT_ON_LOW_POWER, 0x1),
    };
    check_rows(rows);
}

// ============================================================================================
// port.h
// ============================================================================================

// [PDB] _NDIS_PORT_CHARACTERISTICS 0x40, _NDIS_PORT_ARRAY 0x50, _NDIS_PORT 0x60;
// [META] NDIS_SIZEOF_PORT_CHARACTERISTICS_REVISION_1 = 60, PORT_STATE = 48, PORT_ARRAY = 80,
// PORT_AUTHENTICATION_PARAMETERS = 20.
TEST(DriverHeaders, PortLayouts)
{
    EXPECT_SIZE(NDIS_PORT_CHARACTERISTICS, 0x40);
    EXPECT_OFFSET(NDIS_PORT_CHARACTERISTICS, PortNumber, 0x04);
    EXPECT_OFFSET(NDIS_PORT_CHARACTERISTICS, Flags, 0x08);
    EXPECT_OFFSET(NDIS_PORT_CHARACTERISTICS, Type, 0x0C);
    EXPECT_OFFSET(NDIS_PORT_CHARACTERISTICS, MediaConnectState, 0x10);
    EXPECT_OFFSET(NDIS_PORT_CHARACTERISTICS, XmitLinkSpeed, 0x18);
    EXPECT_OFFSET(NDIS_PORT_CHARACTERISTICS, RcvLinkSpeed, 0x20);
    EXPECT_OFFSET(NDIS_PORT_CHARACTERISTICS, Direction, 0x28);
    EXPECT_OFFSET(NDIS_PORT_CHARACTERISTICS, SendControlState, 0x2C);
    EXPECT_OFFSET(NDIS_PORT_CHARACTERISTICS, RcvControlState, 0x30);
    EXPECT_OFFSET(NDIS_PORT_CHARACTERISTICS, SendAuthorizationState, 0x34);
    EXPECT_OFFSET(NDIS_PORT_CHARACTERISTICS, RcvAuthorizationState, 0x38);
    EXPECT_SIZEOF_THROUGH(NDIS_SIZEOF_PORT_CHARACTERISTICS_REVISION_1,
                          NDIS_PORT_CHARACTERISTICS, RcvAuthorizationState);
    EXPECT_SIZEOF_VALUE(NDIS_SIZEOF_PORT_CHARACTERISTICS_REVISION_1, 60);

    EXPECT_SIZE(NDIS_PORT, 0x60);
    EXPECT_OFFSET(NDIS_PORT, PortCharacteristics, 0x20);

    EXPECT_SIZE(NDIS_PORT_ARRAY, 0x50);
    EXPECT_OFFSET(NDIS_PORT_ARRAY, NumberOfPorts, 0x04);
    EXPECT_OFFSET(NDIS_PORT_ARRAY, OffsetFirstPort, 0x08);
    EXPECT_OFFSET(NDIS_PORT_ARRAY, ElementSize, 0x0C);
    EXPECT_OFFSET(NDIS_PORT_ARRAY, Ports, 0x10);
    EXPECT_SIZEOF_THROUGH(NDIS_SIZEOF_PORT_ARRAY_REVISION_1, NDIS_PORT_ARRAY, Ports);
    EXPECT_SIZEOF_VALUE(NDIS_SIZEOF_PORT_ARRAY_REVISION_1, 80);

    EXPECT_SIZEOF_THROUGH(NDIS_SIZEOF_PORT_STATE_REVISION_1, NDIS_PORT_STATE, Flags);
    EXPECT_SIZEOF_VALUE(NDIS_SIZEOF_PORT_STATE_REVISION_1, 48);
    EXPECT_SIZEOF_THROUGH(NDIS_SIZEOF_PORT_AUTHENTICATION_PARAMETERS_REVISION_1,
                          NDIS_PORT_AUTHENTICATION_PARAMETERS, RcvAuthorizationState);
    EXPECT_SIZEOF_VALUE(NDIS_SIZEOF_PORT_AUTHENTICATION_PARAMETERS_REVISION_1, 20);

    const Row rows[] = {
        ROW(NdisPortTypeUndefined, 0), ROW(NdisPortTypeBridge, 1),
        ROW(NdisPortTypeRasConnection, 2), ROW(NdisPortType8021xSupplicant, 3),
        ROW(NdisPortTypeNdisImPlatform, 4), ROW(NdisPortTypeMax, 5),
        ROW(NdisPortControlStateUnknown, 0), ROW(NdisPortControlStateControlled, 1),
        ROW(NdisPortControlStateUncontrolled, 2),
        ROW(NdisPortAuthorizationUnknown, 0), ROW(NdisPortAuthorized, 1),
        ROW(NdisPortUnauthorized, 2), ROW(NdisPortReauthorizing, 3),
        ROW(NDIS_PORT_CHAR_USE_DEFAULT_AUTH_SETTINGS, 1),
        ROW(NDIS_MAXIMUM_PORTS, 0x1000000),
        ROW(NDIS_PORT_CHARACTERISTICS_REVISION_1, 1), ROW(NDIS_PORT_ARRAY_REVISION_1, 1),
        ROW(NDIS_PORT_STATE_REVISION_1, 1), ROW(NDIS_PORT_AUTHENTICATION_PARAMETERS_REVISION_1, 1),
    };
    check_rows(rows);

    static_assert(std::is_same_v<decltype(NdisMAllocatePort),
                                 NDIS_STATUS(NDIS_HANDLE, PNDIS_PORT_CHARACTERISTICS)>);
    static_assert(std::is_same_v<decltype(NdisMFreePort),
                                 NDIS_STATUS(NDIS_HANDLE, NDIS_PORT_NUMBER)>);
    static_assert(std::is_same_v<decltype(NdisMNetPnPEvent),
                                 NDIS_STATUS(NDIS_HANDLE, PNET_PNP_EVENT_NOTIFICATION)>);
}

// ============================================================================================
// config.h
// ============================================================================================

// [PDB] _NDIS_CONFIGURATION_OBJECT 0x18, _NDIS_CONFIGURATION_PARAMETER 0x18;
// [LEARN] NDIS_PARAMETER_TYPE order.
TEST(DriverHeaders, ConfigurationLayouts)
{
    EXPECT_SIZE(NDIS_CONFIGURATION_OBJECT, 0x18);
    EXPECT_OFFSET(NDIS_CONFIGURATION_OBJECT, NdisHandle, 0x08);
    EXPECT_OFFSET(NDIS_CONFIGURATION_OBJECT, Flags, 0x10);
    EXPECT_SIZEOF_THROUGH(NDIS_SIZEOF_CONFIGURATION_OBJECT_REVISION_1,
                          NDIS_CONFIGURATION_OBJECT, Flags);
    EXPECT_SIZE(NDIS_CONFIGURATION_PARAMETER, 0x18);
    EXPECT_OFFSET(NDIS_CONFIGURATION_PARAMETER, ParameterData, 0x08);
    EXPECT_OFFSET(NDIS_CONFIGURATION_PARAMETER, ParameterData.StringData.Buffer, 0x10);
    EXPECT_OFFSET(NDIS_CONFIGURATION_PARAMETER, ParameterData.BinaryData.Buffer, 0x10);

    const Row rows[] = {
        ROW(NdisParameterInteger, 0), ROW(NdisParameterHexInteger, 1),
        ROW(NdisParameterString, 2),  ROW(NdisParameterMultiString, 3),
        ROW(NdisParameterBinary, 4),
        ROW(NDIS_CONFIG_FLAG_FILTER_INSTANCE_CONFIGURATION, 1),
        ROW(NDIS_CONFIGURATION_OBJECT_REVISION_1, 1),
    };
    check_rows(rows);

    static_assert(std::is_same_v<decltype(NdisOpenConfigurationEx),
                                 NDIS_STATUS(PNDIS_CONFIGURATION_OBJECT, PNDIS_HANDLE)>);
    static_assert(std::is_same_v<decltype(NdisReadConfiguration),
                                 VOID(PNDIS_STATUS, PNDIS_CONFIGURATION_PARAMETER*, NDIS_HANDLE,
                                      PNDIS_STRING, NDIS_PARAMETER_TYPE)>);
    static_assert(std::is_same_v<decltype(NdisWriteConfiguration),
                                 VOID(PNDIS_STATUS, NDIS_HANDLE, PNDIS_STRING,
                                      PNDIS_CONFIGURATION_PARAMETER)>);
    static_assert(std::is_same_v<decltype(NdisCloseConfiguration), VOID(NDIS_HANDLE)>);
    static_assert(std::is_same_v<decltype(NdisReadNetworkAddress),
                                 VOID(PNDIS_STATUS, PVOID*, PUINT, NDIS_HANDLE)>);
    static_assert(std::is_same_v<decltype(NdisOpenConfigurationKeyByName),
                                 VOID(PNDIS_STATUS, NDIS_HANDLE, PNDIS_STRING, PNDIS_HANDLE)>);
    static_assert(std::is_same_v<decltype(NdisOpenConfigurationKeyByIndex),
                                 VOID(PNDIS_STATUS, NDIS_HANDLE, ULONG, PNDIS_STRING,
                                      PNDIS_HANDLE)>);
}

// ============================================================================================
// miniport.h
// ============================================================================================

// [PDB] _NDIS_MINIPORT_DRIVER_CHARACTERISTICS 0xa0; [WDK] revision 1 ends at
// CancelOidRequestHandler, 2 at CancelDirectOidRequestHandler, 3 at SynchronousOidRequestHandler.
TEST(DriverHeaders, MiniportCharacteristicsLayout)
{
    using T = NDIS_MINIPORT_DRIVER_CHARACTERISTICS;
    EXPECT_SIZE(T, 0xA0);
    EXPECT_OFFSET(T, MajorNdisVersion, 0x04);
    EXPECT_OFFSET(T, MinorNdisVersion, 0x05);
    EXPECT_OFFSET(T, MajorDriverVersion, 0x06);
    EXPECT_OFFSET(T, MinorDriverVersion, 0x07);
    EXPECT_OFFSET(T, Flags, 0x08);
    EXPECT_OFFSET(T, SetOptionsHandler, 0x10);
    EXPECT_OFFSET(T, InitializeHandlerEx, 0x18);
    EXPECT_OFFSET(T, HaltHandlerEx, 0x20);
    EXPECT_OFFSET(T, UnloadHandler, 0x28);
    EXPECT_OFFSET(T, PauseHandler, 0x30);
    EXPECT_OFFSET(T, RestartHandler, 0x38);
    EXPECT_OFFSET(T, OidRequestHandler, 0x40);
    EXPECT_OFFSET(T, SendNetBufferListsHandler, 0x48);
    EXPECT_OFFSET(T, ReturnNetBufferListsHandler, 0x50);
    EXPECT_OFFSET(T, CancelSendHandler, 0x58);
    EXPECT_OFFSET(T, CheckForHangHandlerEx, 0x60);
    EXPECT_OFFSET(T, ResetHandlerEx, 0x68);
    EXPECT_OFFSET(T, DevicePnPEventNotifyHandler, 0x70);
    EXPECT_OFFSET(T, ShutdownHandlerEx, 0x78);
    EXPECT_OFFSET(T, CancelOidRequestHandler, 0x80);
    EXPECT_OFFSET(T, DirectOidRequestHandler, 0x88);
    EXPECT_OFFSET(T, CancelDirectOidRequestHandler, 0x90);
    EXPECT_OFFSET(T, SynchronousOidRequestHandler, 0x98);

    EXPECT_SIZEOF_THROUGH(NDIS_SIZEOF_MINIPORT_DRIVER_CHARACTERISTICS_REVISION_1, T,
                          CancelOidRequestHandler);
    EXPECT_SIZEOF_THROUGH(NDIS_SIZEOF_MINIPORT_DRIVER_CHARACTERISTICS_REVISION_2, T,
                          CancelDirectOidRequestHandler);
    EXPECT_SIZEOF_THROUGH(NDIS_SIZEOF_MINIPORT_DRIVER_CHARACTERISTICS_REVISION_3, T,
                          SynchronousOidRequestHandler);
    EXPECT_SIZEOF_VALUE(NDIS_SIZEOF_MINIPORT_DRIVER_CHARACTERISTICS_REVISION_1, 0x88);
    EXPECT_SIZEOF_VALUE(NDIS_SIZEOF_MINIPORT_DRIVER_CHARACTERISTICS_REVISION_2, 0x98);
    EXPECT_SIZEOF_VALUE(NDIS_SIZEOF_MINIPORT_DRIVER_CHARACTERISTICS_REVISION_3, 0xA0);
    EXPECT_EQ(NDIS_MINIPORT_DRIVER_CHARACTERISTICS_REVISION_1, 1);
    EXPECT_EQ(NDIS_MINIPORT_DRIVER_CHARACTERISTICS_REVISION_2, 2);
    EXPECT_EQ(NDIS_MINIPORT_DRIVER_CHARACTERISTICS_REVISION_3, 3);
    EXPECT_EQ(NDIS_INTERMEDIATE_DRIVER, 0x1);
    EXPECT_EQ(NDIS_WDM_DRIVER, 0x2);
    EXPECT_EQ(NDIS_DRIVER_FLAGS_RESERVED, 0x8);
}

// The role types are the WDK's function types, and the characteristics fields are pointers to
// them, so `MINIPORT_INITIALIZE MPInitializeEx;` + `chars.InitializeHandlerEx = MPInitializeEx;`
// type-checks exactly as with the WDK.
TEST(DriverHeaders, MiniportRoleTypes)
{
    using T = NDIS_MINIPORT_DRIVER_CHARACTERISTICS;
    static_assert(std::is_same_v<MINIPORT_INITIALIZE,
                                 NDIS_STATUS(NDIS_HANDLE, NDIS_HANDLE,
                                             PNDIS_MINIPORT_INIT_PARAMETERS)>);
    static_assert(std::is_same_v<MINIPORT_HALT, VOID(NDIS_HANDLE, NDIS_HALT_ACTION)>);
    static_assert(std::is_same_v<MINIPORT_UNLOAD, VOID(PDRIVER_OBJECT)>);
    static_assert(std::is_same_v<MINIPORT_DRIVER_UNLOAD, MINIPORT_UNLOAD>);
    static_assert(std::is_same_v<MINIPORT_PAUSE,
                                 NDIS_STATUS(NDIS_HANDLE, PNDIS_MINIPORT_PAUSE_PARAMETERS)>);
    static_assert(std::is_same_v<MINIPORT_RESTART,
                                 NDIS_STATUS(NDIS_HANDLE, PNDIS_MINIPORT_RESTART_PARAMETERS)>);
    static_assert(std::is_same_v<MINIPORT_OID_REQUEST,
                                 NDIS_STATUS(NDIS_HANDLE, PNDIS_OID_REQUEST)>);
    static_assert(std::is_same_v<MINIPORT_SEND_NET_BUFFER_LISTS,
                                 VOID(NDIS_HANDLE, PNET_BUFFER_LIST, NDIS_PORT_NUMBER, ULONG)>);
    static_assert(std::is_same_v<MINIPORT_RETURN_NET_BUFFER_LISTS,
                                 VOID(NDIS_HANDLE, PNET_BUFFER_LIST, ULONG)>);
    static_assert(std::is_same_v<MINIPORT_CANCEL_SEND, VOID(NDIS_HANDLE, PVOID)>);
    static_assert(std::is_same_v<MINIPORT_CHECK_FOR_HANG, BOOLEAN(NDIS_HANDLE)>);
    static_assert(std::is_same_v<MINIPORT_RESET, NDIS_STATUS(NDIS_HANDLE, PBOOLEAN)>);
    static_assert(std::is_same_v<MINIPORT_DEVICE_PNP_EVENT_NOTIFY,
                                 VOID(NDIS_HANDLE, PNET_DEVICE_PNP_EVENT)>);
    static_assert(std::is_same_v<MINIPORT_SHUTDOWN, VOID(NDIS_HANDLE, NDIS_SHUTDOWN_ACTION)>);
    static_assert(std::is_same_v<MINIPORT_CANCEL_OID_REQUEST, VOID(NDIS_HANDLE, PVOID)>);
    static_assert(std::is_same_v<MINIPORT_DIRECT_OID_REQUEST,
                                 NDIS_STATUS(NDIS_HANDLE, PNDIS_OID_REQUEST)>);
    static_assert(std::is_same_v<MINIPORT_CANCEL_DIRECT_OID_REQUEST, VOID(NDIS_HANDLE, PVOID)>);
    static_assert(std::is_same_v<MINIPORT_SYNCHRONOUS_OID_REQUEST,
                                 NDIS_STATUS(NDIS_HANDLE, NDIS_OID_REQUEST*)>);
    static_assert(std::is_same_v<SET_OPTIONS, NDIS_STATUS(NDIS_HANDLE, NDIS_HANDLE)>);
    static_assert(std::is_same_v<MINIPORT_SET_OPTIONS, SET_OPTIONS>);

    static_assert(std::is_same_v<decltype(T::SetOptionsHandler), SET_OPTIONS*>);
    static_assert(std::is_same_v<decltype(T::InitializeHandlerEx), MINIPORT_INITIALIZE*>);
    static_assert(std::is_same_v<decltype(T::HaltHandlerEx), MINIPORT_HALT*>);
    static_assert(std::is_same_v<decltype(T::UnloadHandler), MINIPORT_UNLOAD*>);
    static_assert(std::is_same_v<decltype(T::PauseHandler), MINIPORT_PAUSE*>);
    static_assert(std::is_same_v<decltype(T::RestartHandler), MINIPORT_RESTART*>);
    static_assert(std::is_same_v<decltype(T::OidRequestHandler), MINIPORT_OID_REQUEST*>);
    static_assert(std::is_same_v<decltype(T::SendNetBufferListsHandler),
                                 MINIPORT_SEND_NET_BUFFER_LISTS*>);
    static_assert(std::is_same_v<decltype(T::ReturnNetBufferListsHandler),
                                 MINIPORT_RETURN_NET_BUFFER_LISTS*>);
    static_assert(std::is_same_v<decltype(T::CancelSendHandler), MINIPORT_CANCEL_SEND*>);
    static_assert(std::is_same_v<decltype(T::CheckForHangHandlerEx), MINIPORT_CHECK_FOR_HANG*>);
    static_assert(std::is_same_v<decltype(T::ResetHandlerEx), MINIPORT_RESET*>);
    static_assert(std::is_same_v<decltype(T::DevicePnPEventNotifyHandler),
                                 MINIPORT_DEVICE_PNP_EVENT_NOTIFY*>);
    static_assert(std::is_same_v<decltype(T::ShutdownHandlerEx), MINIPORT_SHUTDOWN*>);
    static_assert(std::is_same_v<decltype(T::CancelOidRequestHandler),
                                 MINIPORT_CANCEL_OID_REQUEST*>);
    static_assert(std::is_same_v<decltype(T::DirectOidRequestHandler),
                                 MINIPORT_DIRECT_OID_REQUEST*>);
    static_assert(std::is_same_v<decltype(T::CancelDirectOidRequestHandler),
                                 MINIPORT_CANCEL_DIRECT_OID_REQUEST*>);
    static_assert(std::is_same_v<decltype(T::SynchronousOidRequestHandler),
                                 MINIPORT_SYNCHRONOUS_OID_REQUEST*>);
    static_assert(std::is_same_v<MINIPORT_INITIALIZE_HANDLER, MINIPORT_INITIALIZE*>);
    static_assert(std::is_same_v<MINIPORT_SYNCHRONOUS_OID_REQUEST_HANDLER,
                                 MINIPORT_SYNCHRONOUS_OID_REQUEST*>);
    SUCCEED();
}

// [LEARN] prototypes of the NdisMXxx calls (checked with decltype: nothing is called).
TEST(DriverHeaders, MiniportPrototypes)
{
    static_assert(std::is_same_v<decltype(NdisMRegisterMiniportDriver),
                                 NDIS_STATUS(PDRIVER_OBJECT, PUNICODE_STRING, NDIS_HANDLE,
                                             PNDIS_MINIPORT_DRIVER_CHARACTERISTICS,
                                             PNDIS_HANDLE)>);
    static_assert(std::is_same_v<decltype(NdisMDeregisterMiniportDriver), VOID(NDIS_HANDLE)>);
    static_assert(std::is_same_v<decltype(NdisMSetMiniportAttributes),
                                 NDIS_STATUS(NDIS_HANDLE, PNDIS_MINIPORT_ADAPTER_ATTRIBUTES)>);
    static_assert(std::is_same_v<decltype(NdisMPauseComplete), VOID(NDIS_HANDLE)>);
    static_assert(std::is_same_v<decltype(NdisMRestartComplete), VOID(NDIS_HANDLE, NDIS_STATUS)>);
    static_assert(std::is_same_v<decltype(NdisMOidRequestComplete),
                                 VOID(NDIS_HANDLE, PNDIS_OID_REQUEST, NDIS_STATUS)>);
    static_assert(std::is_same_v<decltype(NdisMDirectOidRequestComplete),
                                 VOID(NDIS_HANDLE, PNDIS_OID_REQUEST, NDIS_STATUS)>);
    static_assert(std::is_same_v<decltype(NdisMIndicateStatusEx),
                                 VOID(NDIS_HANDLE, PNDIS_STATUS_INDICATION)>);
    static_assert(std::is_same_v<decltype(NdisMSendNetBufferListsComplete),
                                 VOID(NDIS_HANDLE, PNET_BUFFER_LIST, ULONG)>);
    static_assert(std::is_same_v<decltype(NdisMIndicateReceiveNetBufferLists),
                                 VOID(NDIS_HANDLE, PNET_BUFFER_LIST, NDIS_PORT_NUMBER, ULONG,
                                      ULONG)>);
    static_assert(std::is_same_v<decltype(NdisMResetComplete),
                                 VOID(NDIS_HANDLE, NDIS_STATUS, BOOLEAN)>);
    static_assert(std::is_same_v<decltype(NdisMGetDeviceProperty),
                                 VOID(NDIS_HANDLE, PDEVICE_OBJECT*, PDEVICE_OBJECT*,
                                      PDEVICE_OBJECT*, PCM_RESOURCE_LIST*, PCM_RESOURCE_LIST*)>);
    SUCCEED();
}

// [PDB] _NDIS_MINIPORT_INIT_PARAMETERS 0x40, _NDIS_MINIPORT_RESTART_PARAMETERS 0x18,
// _NET_DEVICE_PNP_EVENT 0x30.
TEST(DriverHeaders, MiniportParameterLayouts)
{
    EXPECT_SIZE(NDIS_MINIPORT_INIT_PARAMETERS, 0x40);
    EXPECT_OFFSET(NDIS_MINIPORT_INIT_PARAMETERS, Flags, 0x04);
    EXPECT_OFFSET(NDIS_MINIPORT_INIT_PARAMETERS, AllocatedResources, 0x08);
    EXPECT_OFFSET(NDIS_MINIPORT_INIT_PARAMETERS, IMDeviceInstanceContext, 0x10);
    EXPECT_OFFSET(NDIS_MINIPORT_INIT_PARAMETERS, MiniportAddDeviceContext, 0x18);
    EXPECT_OFFSET(NDIS_MINIPORT_INIT_PARAMETERS, IfIndex, 0x20);
    EXPECT_OFFSET(NDIS_MINIPORT_INIT_PARAMETERS, NetLuid, 0x28);
    EXPECT_OFFSET(NDIS_MINIPORT_INIT_PARAMETERS, DefaultPortAuthStates, 0x30);
    EXPECT_OFFSET(NDIS_MINIPORT_INIT_PARAMETERS, PciDeviceCustomProperties, 0x38);
    EXPECT_SIZEOF_THROUGH(NDIS_SIZEOF_MINIPORT_INIT_PARAMETER_REVISION_1,
                          NDIS_MINIPORT_INIT_PARAMETERS, PciDeviceCustomProperties);
    EXPECT_SIZEOF_VALUE(NDIS_SIZEOF_MINIPORT_INIT_PARAMETERS_REVISION_1, 0x40);

    EXPECT_SIZE(NDIS_MINIPORT_PAUSE_PARAMETERS, 12);
    EXPECT_SIZEOF_THROUGH(NDIS_SIZEOF_MINIPORT_PAUSE_PARAMETERS_REVISION_1,
                          NDIS_MINIPORT_PAUSE_PARAMETERS, PauseReason);

    EXPECT_SIZE(NDIS_MINIPORT_RESTART_PARAMETERS, 0x18);
    EXPECT_OFFSET(NDIS_MINIPORT_RESTART_PARAMETERS, RestartAttributes, 0x08);
    EXPECT_OFFSET(NDIS_MINIPORT_RESTART_PARAMETERS, Flags, 0x10);
    EXPECT_SIZEOF_THROUGH(NDIS_SIZEOF_MINIPORT_RESTART_PARAMETERS_REVISION_1,
                          NDIS_MINIPORT_RESTART_PARAMETERS, Flags);

    EXPECT_SIZE(NET_DEVICE_PNP_EVENT, 0x30);
    EXPECT_OFFSET(NET_DEVICE_PNP_EVENT, PortNumber, 0x04);
    EXPECT_OFFSET(NET_DEVICE_PNP_EVENT, DevicePnPEvent, 0x08);
    EXPECT_OFFSET(NET_DEVICE_PNP_EVENT, InformationBuffer, 0x10);
    EXPECT_OFFSET(NET_DEVICE_PNP_EVENT, InformationBufferLength, 0x18);
    EXPECT_OFFSET(NET_DEVICE_PNP_EVENT, NdisReserved, 0x1C);
    EXPECT_SIZEOF_THROUGH(NDIS_SIZEOF_NET_DEVICE_PNP_EVENT_REVISION_1, NET_DEVICE_PNP_EVENT,
                          NdisReserved);
    EXPECT_SIZEOF_VALUE(NDIS_SIZEOF_NET_DEVICE_PNP_EVENT_REVISION_1, 0x2C);
}

// [PDB] _NDIS_MINIPORT_ADAPTER_REGISTRATION_ATTRIBUTES 0x20,
// _NDIS_MINIPORT_ADAPTER_GENERAL_ATTRIBUTES 0xe0, the other attribute structures and the
// _NDIS_MINIPORT_ADAPTER_ATTRIBUTES union (0xe0).
TEST(DriverHeaders, MiniportAttributeLayouts)
{
    using R = NDIS_MINIPORT_ADAPTER_REGISTRATION_ATTRIBUTES;
    EXPECT_SIZE(R, 0x20);
    EXPECT_OFFSET(R, MiniportAdapterContext, 0x08);
    EXPECT_OFFSET(R, AttributeFlags, 0x10);
    EXPECT_OFFSET(R, CheckForHangTimeInSeconds, 0x14);
    EXPECT_OFFSET(R, InterfaceType, 0x18);
    EXPECT_SIZEOF_THROUGH(NDIS_SIZEOF_MINIPORT_ADAPTER_REGISTRATION_ATTRIBUTES_REVISION_1, R,
                          InterfaceType);
    EXPECT_SIZEOF_THROUGH(NDIS_SIZEOF_MINIPORT_ADAPTER_REGISTRATION_ATTRIBUTES_REVISION_2, R,
                          InterfaceType);
    EXPECT_SIZEOF_VALUE(NDIS_SIZEOF_MINIPORT_ADAPTER_REGISTRATION_ATTRIBUTES_REVISION_1, 0x1C);

    using G = NDIS_MINIPORT_ADAPTER_GENERAL_ATTRIBUTES;
    EXPECT_SIZE(G, 0xE0);
    EXPECT_OFFSET(G, Flags, 0x04);
    EXPECT_OFFSET(G, MediaType, 0x08);
    EXPECT_OFFSET(G, PhysicalMediumType, 0x0C);
    EXPECT_OFFSET(G, MtuSize, 0x10);
    EXPECT_OFFSET(G, MaxXmitLinkSpeed, 0x18);
    EXPECT_OFFSET(G, XmitLinkSpeed, 0x20);
    EXPECT_OFFSET(G, MaxRcvLinkSpeed, 0x28);
    EXPECT_OFFSET(G, RcvLinkSpeed, 0x30);
    EXPECT_OFFSET(G, MediaConnectState, 0x38);
    EXPECT_OFFSET(G, MediaDuplexState, 0x3C);
    EXPECT_OFFSET(G, LookaheadSize, 0x40);
    EXPECT_OFFSET(G, PowerManagementCapabilities, 0x48);
    EXPECT_OFFSET(G, MacOptions, 0x50);
    EXPECT_OFFSET(G, SupportedPacketFilters, 0x54);
    EXPECT_OFFSET(G, MaxMulticastListSize, 0x58);
    EXPECT_OFFSET(G, MacAddressLength, 0x5C);
    EXPECT_OFFSET(G, PermanentMacAddress, 0x5E);
    EXPECT_OFFSET(G, CurrentMacAddress, 0x7E);
    EXPECT_OFFSET(G, RecvScaleCapabilities, 0xA0);
    EXPECT_OFFSET(G, AccessType, 0xA8);
    EXPECT_OFFSET(G, DirectionType, 0xAC);
    EXPECT_OFFSET(G, ConnectionType, 0xB0);
    EXPECT_OFFSET(G, IfType, 0xB4);
    EXPECT_OFFSET(G, IfConnectorPresent, 0xB6);
    EXPECT_OFFSET(G, SupportedStatistics, 0xB8);
    EXPECT_OFFSET(G, SupportedPauseFunctions, 0xBC);
    EXPECT_OFFSET(G, DataBackFillSize, 0xC0);
    EXPECT_OFFSET(G, ContextBackFillSize, 0xC4);
    EXPECT_OFFSET(G, SupportedOidList, 0xC8);
    EXPECT_OFFSET(G, SupportedOidListLength, 0xD0);
    EXPECT_OFFSET(G, AutoNegotiationFlags, 0xD4);
    EXPECT_OFFSET(G, PowerManagementCapabilitiesEx, 0xD8);
    EXPECT_SIZEOF_THROUGH(NDIS_SIZEOF_MINIPORT_ADAPTER_GENERAL_ATTRIBUTES_REVISION_1, G,
                          AutoNegotiationFlags);
    EXPECT_SIZEOF_THROUGH(NDIS_SIZEOF_MINIPORT_ADAPTER_GENERAL_ATTRIBUTES_REVISION_2, G,
                          PowerManagementCapabilitiesEx);
    EXPECT_SIZEOF_VALUE(NDIS_SIZEOF_MINIPORT_ADAPTER_GENERAL_ATTRIBUTES_REVISION_1, 0xD8);
    EXPECT_SIZEOF_VALUE(NDIS_SIZEOF_MINIPORT_ADAPTER_GENERAL_ATTRIBUTES_REVISION_2, 0xE0);

    EXPECT_SIZE(NDIS_MINIPORT_ADD_DEVICE_REGISTRATION_ATTRIBUTES, 0x18);
    EXPECT_SIZEOF_THROUGH(NDIS_SIZEOF_MINIPORT_ADD_DEVICE_REGISTRATION_ATTRIBUTES_REVISION_1,
                          NDIS_MINIPORT_ADD_DEVICE_REGISTRATION_ATTRIBUTES, Flags);
    EXPECT_SIZE(NDIS_MINIPORT_ADAPTER_OFFLOAD_ATTRIBUTES, 0x28);
    EXPECT_SIZEOF_THROUGH(NDIS_SIZEOF_MINIPORT_ADAPTER_OFFLOAD_ATTRIBUTES_REVISION_1,
                          NDIS_MINIPORT_ADAPTER_OFFLOAD_ATTRIBUTES,
                          TcpConnectionOffloadHardwareCapabilities);
    EXPECT_SIZE(NDIS_MINIPORT_ADAPTER_NATIVE_802_11_ATTRIBUTES, 0x40);
    EXPECT_OFFSET(NDIS_MINIPORT_ADAPTER_NATIVE_802_11_ATTRIBUTES, SupportedPhyAttributes, 0x18);
    EXPECT_SIZEOF_THROUGH(NDIS_SIZEOF_MINIPORT_ADAPTER_NATIVE_802_11_ATTRIBUTES_REVISION_1,
                          NDIS_MINIPORT_ADAPTER_NATIVE_802_11_ATTRIBUTES, ExtSTAAttributes);
    EXPECT_SIZEOF_THROUGH(NDIS_SIZEOF_MINIPORT_ADAPTER_NATIVE_802_11_ATTRIBUTES_REVISION_2,
                          NDIS_MINIPORT_ADAPTER_NATIVE_802_11_ATTRIBUTES, ExtAPAttributes);
    EXPECT_SIZEOF_THROUGH(NDIS_SIZEOF_MINIPORT_ADAPTER_NATIVE_802_11_ATTRIBUTES_REVISION_3,
                          NDIS_MINIPORT_ADAPTER_NATIVE_802_11_ATTRIBUTES, WFDAttributes);
    using H = NDIS_MINIPORT_ADAPTER_HARDWARE_ASSIST_ATTRIBUTES;
    EXPECT_SIZE(H, 0x60);
    // [LEARN] revision 1 (6.1) is HDSplitAttributes only, revision 2 (6.20) adds the receive
    // filter and NIC switch capabilities, revision 3 (6.30) SR-IOV and QoS.
    EXPECT_SIZEOF_THROUGH(NDIS_SIZEOF_MINIPORT_ADAPTER_HARDWARE_ASSIST_ATTRIBUTES_REVISION_1, H,
                          HDSplitAttributes);
    EXPECT_SIZEOF_THROUGH(NDIS_SIZEOF_MINIPORT_ADAPTER_HARDWARE_ASSIST_ATTRIBUTES_REVISION_2, H,
                          CurrentNicSwitchCapabilities);
    EXPECT_SIZEOF_THROUGH(NDIS_SIZEOF_MINIPORT_ADAPTER_HARDWARE_ASSIST_ATTRIBUTES_REVISION_3, H,
                          CurrentQosCapabilities);
    EXPECT_SIZEOF_THROUGH(NDIS_SIZEOF_MINIPORT_ADAPTER_HARDWARE_ASSIST_ATTRIBUTES_REVISION_4, H,
                          CurrentGftOffloadCapabilities);
    EXPECT_SIZE(NDIS_MINIPORT_ADAPTER_NDK_ATTRIBUTES, 0x10);
    EXPECT_SIZEOF_THROUGH(NDIS_SIZEOF_MINIPORT_ADAPTER_NDK_ATTRIBUTES_REVISION_1,
                          NDIS_MINIPORT_ADAPTER_NDK_ATTRIBUTES, NdkCapabilities);
    EXPECT_SIZE(NDIS_MINIPORT_ADAPTER_PACKET_DIRECT_ATTRIBUTES, 0x0C);

    EXPECT_SIZE(NDIS_MINIPORT_ADAPTER_ATTRIBUTES, 0xE0);
    EXPECT_OFFSET(NDIS_MINIPORT_ADAPTER_ATTRIBUTES, GeneralAttributes.CurrentMacAddress, 0x7E);
}

// [LEARN] attribute flags, statistics-supported flags, NDIS_INTERFACE_TYPE, NDIS_HALT_ACTION,
// NDIS_SHUTDOWN_ACTION, NDIS_DEVICE_PNP_EVENT, NDIS_POWER_PROFILE.
TEST(DriverHeaders, MiniportFlagAndEnumValues)
{
    const Row rows[] = {
        ROW(NDIS_MINIPORT_ATTRIBUTES_HARDWARE_DEVICE, 0x1),
        ROW(NDIS_MINIPORT_ATTRIBUTES_NDIS_WDM, 0x2),
        ROW(NDIS_MINIPORT_ATTRIBUTES_SURPRISE_REMOVE_OK, 0x4),
        ROW(NDIS_MINIPORT_ATTRIBUTES_NOT_CO_NDIS, 0x8),
        ROW(NDIS_MINIPORT_ATTRIBUTES_DO_NOT_BIND_TO_ALL_CO, 0x10),
        ROW(NDIS_MINIPORT_ATTRIBUTES_NO_HALT_ON_SUSPEND, 0x20),
        ROW(NDIS_MINIPORT_ATTRIBUTES_BUS_MASTER, 0x40),
        ROW(NDIS_MINIPORT_ATTRIBUTES_CONTROLS_DEFAULT_PORT, 0x80),
        ROW(NDIS_MINIPORT_ATTRIBUTES_NO_PAUSE_ON_SUSPEND, 0x100),
        ROW(NDIS_MINIPORT_ATTRIBUTES_NO_OID_INTERCEPT_ON_NONDEFAULT_PORTS, 0x200),
        ROW(NDIS_MINIPORT_ATTRIBUTES_REGISTER_BUGCHECK_CALLBACK, 0x400),

        ROW(NDIS_STATISTICS_XMIT_OK_SUPPORTED, 0x00000001),
        ROW(NDIS_STATISTICS_RCV_OK_SUPPORTED, 0x00000002),
        ROW(NDIS_STATISTICS_XMIT_ERROR_SUPPORTED, 0x00000004),
        ROW(NDIS_STATISTICS_RCV_ERROR_SUPPORTED, 0x00000008),
        ROW(NDIS_STATISTICS_RCV_NO_BUFFER_SUPPORTED, 0x00000010),
        ROW(NDIS_STATISTICS_DIRECTED_BYTES_XMIT_SUPPORTED, 0x00000020),
        ROW(NDIS_STATISTICS_DIRECTED_FRAMES_XMIT_SUPPORTED, 0x00000040),
        ROW(NDIS_STATISTICS_MULTICAST_BYTES_XMIT_SUPPORTED, 0x00000080),
        ROW(NDIS_STATISTICS_MULTICAST_FRAMES_XMIT_SUPPORTED, 0x00000100),
        ROW(NDIS_STATISTICS_BROADCAST_BYTES_XMIT_SUPPORTED, 0x00000200),
        ROW(NDIS_STATISTICS_BROADCAST_FRAMES_XMIT_SUPPORTED, 0x00000400),
        ROW(NDIS_STATISTICS_DIRECTED_BYTES_RCV_SUPPORTED, 0x00000800),
        ROW(NDIS_STATISTICS_DIRECTED_FRAMES_RCV_SUPPORTED, 0x00001000),
        ROW(NDIS_STATISTICS_MULTICAST_BYTES_RCV_SUPPORTED, 0x00002000),
        ROW(NDIS_STATISTICS_MULTICAST_FRAMES_RCV_SUPPORTED, 0x00004000),
        ROW(NDIS_STATISTICS_BROADCAST_BYTES_RCV_SUPPORTED, 0x00008000),
        ROW(NDIS_STATISTICS_BROADCAST_FRAMES_RCV_SUPPORTED, 0x00010000),
        ROW(NDIS_STATISTICS_RCV_CRC_ERROR_SUPPORTED, 0x00020000),
        ROW(NDIS_STATISTICS_TRANSMIT_QUEUE_LENGTH_SUPPORTED, 0x00040000),
        ROW(NDIS_STATISTICS_BYTES_RCV_SUPPORTED, 0x00080000),
        ROW(NDIS_STATISTICS_BYTES_XMIT_SUPPORTED, 0x00100000),
        ROW(NDIS_STATISTICS_RCV_DISCARDS_SUPPORTED, 0x00200000),
        ROW(NDIS_STATISTICS_GEN_STATISTICS_SUPPORTED, 0x00400000),
        ROW(NDIS_STATISTICS_XMIT_DISCARDS_SUPPORTED, 0x08000000),

        ROW(NdisInterfaceInternal, 0), ROW(NdisInterfaceIsa, 1), ROW(NdisInterfacePci, 5),
        ROW(NdisInterfacePcMcia, 8), ROW(NdisInterfacePNPBus, 15), ROW(NdisInterfaceUSB, 16),
        ROW(NdisInterface1394, 18), ROW(NdisMaximumInterfaceType, 19),

        ROW(NdisHaltDeviceDisabled, 0), ROW(NdisHaltDeviceInstanceDeInitialized, 1),
        ROW(NdisHaltDevicePoweredDown, 2), ROW(NdisHaltDeviceSurpriseRemoved, 3),
        ROW(NdisHaltDeviceFailed, 4), ROW(NdisHaltDeviceInitializationFailed, 5),
        ROW(NdisHaltDeviceStopped, 6),
        ROW(NdisShutdownPowerOff, 0), ROW(NdisShutdownBugCheck, 1),
        ROW(NdisDevicePnPEventQueryRemoved, 0), ROW(NdisDevicePnPEventRemoved, 1),
        ROW(NdisDevicePnPEventSurpriseRemoved, 2), ROW(NdisDevicePnPEventQueryStopped, 3),
        ROW(NdisDevicePnPEventStopped, 4), ROW(NdisDevicePnPEventPowerProfileChanged, 5),
        ROW(NdisDevicePnPEventFilterListChanged, 6),
        ROW(NdisPowerProfileBattery, 0), ROW(NdisPowerProfileAcOnLine, 1),

        ROW(NDIS_MINIPORT_INIT_PARAMETERS_REVISION_1, 1),
        ROW(NDIS_MINIPORT_PAUSE_PARAMETERS_REVISION_1, 1),
        ROW(NDIS_MINIPORT_RESTART_PARAMETERS_REVISION_1, 1),
        ROW(NDIS_MINIPORT_ADAPTER_REGISTRATION_ATTRIBUTES_REVISION_1, 1),
        ROW(NDIS_MINIPORT_ADAPTER_REGISTRATION_ATTRIBUTES_REVISION_2, 2),
        ROW(NDIS_MINIPORT_ADAPTER_GENERAL_ATTRIBUTES_REVISION_1, 1),
        ROW(NDIS_MINIPORT_ADAPTER_GENERAL_ATTRIBUTES_REVISION_2, 2),
        ROW(NDIS_MINIPORT_ADAPTER_HARDWARE_ASSIST_ATTRIBUTES_REVISION_4, 4),
        ROW(NET_DEVICE_PNP_EVENT_REVISION_1, 1),
    };
    check_rows(rows);
}

// ============================================================================================
// protocol.h
// ============================================================================================

// [PDB] _NDIS_PROTOCOL_DRIVER_CHARACTERISTICS 0x80; [WDK] revision 1 ends at
// SendNetBufferListsCompleteHandler, revision 2 at DirectOidRequestCompleteHandler.
TEST(DriverHeaders, ProtocolCharacteristicsLayout)
{
    using T = NDIS_PROTOCOL_DRIVER_CHARACTERISTICS;
    EXPECT_SIZE(T, 0x80);
    EXPECT_OFFSET(T, Flags, 0x08);
    EXPECT_OFFSET(T, Name, 0x10);
    EXPECT_OFFSET(T, SetOptionsHandler, 0x20);
    EXPECT_OFFSET(T, BindAdapterHandlerEx, 0x28);
    EXPECT_OFFSET(T, UnbindAdapterHandlerEx, 0x30);
    EXPECT_OFFSET(T, OpenAdapterCompleteHandlerEx, 0x38);
    EXPECT_OFFSET(T, CloseAdapterCompleteHandlerEx, 0x40);
    EXPECT_OFFSET(T, NetPnPEventHandler, 0x48);
    EXPECT_OFFSET(T, UninstallHandler, 0x50);
    EXPECT_OFFSET(T, OidRequestCompleteHandler, 0x58);
    EXPECT_OFFSET(T, StatusHandlerEx, 0x60);
    EXPECT_OFFSET(T, ReceiveNetBufferListsHandler, 0x68);
    EXPECT_OFFSET(T, SendNetBufferListsCompleteHandler, 0x70);
    EXPECT_OFFSET(T, DirectOidRequestCompleteHandler, 0x78);
    EXPECT_SIZEOF_THROUGH(NDIS_SIZEOF_PROTOCOL_DRIVER_CHARACTERISTICS_REVISION_1, T,
                          SendNetBufferListsCompleteHandler);
    EXPECT_SIZEOF_THROUGH(NDIS_SIZEOF_PROTOCOL_DRIVER_CHARACTERISTICS_REVISION_2, T,
                          DirectOidRequestCompleteHandler);
    EXPECT_SIZEOF_VALUE(NDIS_SIZEOF_PROTOCOL_DRIVER_CHARACTERISTICS_REVISION_1, 0x78);
    EXPECT_SIZEOF_VALUE(NDIS_SIZEOF_PROTOCOL_DRIVER_CHARACTERISTICS_REVISION_2, 0x80);
    EXPECT_EQ(NDIS_PROTOCOL_DRIVER_CHARACTERISTICS_REVISION_1, 1);
    EXPECT_EQ(NDIS_PROTOCOL_DRIVER_CHARACTERISTICS_REVISION_2, 2);
    EXPECT_EQ(NDIS_PROTOCOL_DRIVER_SUPPORTS_CURRENT_MAC_ADDRESS_CHANGE, 0x2);
    EXPECT_EQ(NDIS_PROTOCOL_DRIVER_SUPPORTS_L2_MTU_SIZE_CHANGE, 0x4);
}

TEST(DriverHeaders, ProtocolRoleTypesAndPrototypes)
{
    using T = NDIS_PROTOCOL_DRIVER_CHARACTERISTICS;
    static_assert(std::is_same_v<PROTOCOL_BIND_ADAPTER_EX,
                                 NDIS_STATUS(NDIS_HANDLE, NDIS_HANDLE, PNDIS_BIND_PARAMETERS)>);
    static_assert(std::is_same_v<PROTOCOL_UNBIND_ADAPTER_EX, NDIS_STATUS(NDIS_HANDLE, NDIS_HANDLE)>);
    static_assert(std::is_same_v<PROTOCOL_OPEN_ADAPTER_COMPLETE_EX, VOID(NDIS_HANDLE, NDIS_STATUS)>);
    static_assert(std::is_same_v<PROTOCOL_CLOSE_ADAPTER_COMPLETE_EX, VOID(NDIS_HANDLE)>);
    static_assert(std::is_same_v<PROTOCOL_NET_PNP_EVENT,
                                 NDIS_STATUS(NDIS_HANDLE, PNET_PNP_EVENT_NOTIFICATION)>);
    static_assert(std::is_same_v<PROTOCOL_UNINSTALL, VOID(VOID)>);
    static_assert(std::is_same_v<PROTOCOL_OID_REQUEST_COMPLETE,
                                 VOID(NDIS_HANDLE, PNDIS_OID_REQUEST, NDIS_STATUS)>);
    static_assert(std::is_same_v<PROTOCOL_STATUS_EX, VOID(NDIS_HANDLE, PNDIS_STATUS_INDICATION)>);
    static_assert(std::is_same_v<PROTOCOL_RECEIVE_NET_BUFFER_LISTS,
                                 VOID(NDIS_HANDLE, PNET_BUFFER_LIST, NDIS_PORT_NUMBER, ULONG,
                                      ULONG)>);
    static_assert(std::is_same_v<PROTOCOL_SEND_NET_BUFFER_LISTS_COMPLETE,
                                 VOID(NDIS_HANDLE, PNET_BUFFER_LIST, ULONG)>);
    static_assert(std::is_same_v<PROTOCOL_DIRECT_OID_REQUEST_COMPLETE,
                                 VOID(NDIS_HANDLE, PNDIS_OID_REQUEST, NDIS_STATUS)>);
    static_assert(std::is_same_v<PROTOCOL_SET_OPTIONS, SET_OPTIONS>);

    static_assert(std::is_same_v<decltype(T::BindAdapterHandlerEx), BIND_HANDLER_EX>);
    static_assert(std::is_same_v<BIND_HANDLER_EX, PROTOCOL_BIND_ADAPTER_EX*>);
    static_assert(std::is_same_v<UNBIND_HANDLER_EX, PROTOCOL_UNBIND_ADAPTER_EX*>);
    static_assert(std::is_same_v<OPEN_ADAPTER_COMPLETE_HANDLER_EX,
                                 PROTOCOL_OPEN_ADAPTER_COMPLETE_EX*>);
    static_assert(std::is_same_v<CLOSE_ADAPTER_COMPLETE_HANDLER_EX,
                                 PROTOCOL_CLOSE_ADAPTER_COMPLETE_EX*>);
    static_assert(std::is_same_v<NET_PNP_EVENT_HANDLER, PROTOCOL_NET_PNP_EVENT*>);
    static_assert(std::is_same_v<UNINSTALL_PROTOCOL_HANDLER, PROTOCOL_UNINSTALL*>);
    static_assert(std::is_same_v<OID_REQUEST_COMPLETE_HANDLER, PROTOCOL_OID_REQUEST_COMPLETE*>);
    static_assert(std::is_same_v<STATUS_HANDLER_EX, PROTOCOL_STATUS_EX*>);
    static_assert(std::is_same_v<RECEIVE_NET_BUFFER_LISTS_HANDLER,
                                 PROTOCOL_RECEIVE_NET_BUFFER_LISTS*>);
    static_assert(std::is_same_v<SEND_NET_BUFFER_LISTS_COMPLETE_HANDLER,
                                 PROTOCOL_SEND_NET_BUFFER_LISTS_COMPLETE*>);
    static_assert(std::is_same_v<DIRECT_OID_REQUEST_COMPLETE_HANDLER,
                                 PROTOCOL_DIRECT_OID_REQUEST_COMPLETE*>);

    static_assert(std::is_same_v<decltype(NdisRegisterProtocolDriver),
                                 NDIS_STATUS(NDIS_HANDLE, PNDIS_PROTOCOL_DRIVER_CHARACTERISTICS,
                                             PNDIS_HANDLE)>);
    static_assert(std::is_same_v<decltype(NdisDeregisterProtocolDriver), VOID(NDIS_HANDLE)>);
    static_assert(std::is_same_v<decltype(NdisOpenAdapterEx),
                                 NDIS_STATUS(NDIS_HANDLE, NDIS_HANDLE, PNDIS_OPEN_PARAMETERS,
                                             NDIS_HANDLE, PNDIS_HANDLE)>);
    static_assert(std::is_same_v<decltype(NdisCompleteBindAdapterEx),
                                 VOID(NDIS_HANDLE, NDIS_STATUS)>);
    static_assert(std::is_same_v<decltype(NdisCloseAdapterEx), NDIS_STATUS(NDIS_HANDLE)>);
    static_assert(std::is_same_v<decltype(NdisCompleteUnbindAdapterEx), VOID(NDIS_HANDLE)>);
    static_assert(std::is_same_v<decltype(NdisCompleteNetPnPEvent),
                                 VOID(NDIS_HANDLE, PNET_PNP_EVENT_NOTIFICATION, NDIS_STATUS)>);
    static_assert(std::is_same_v<decltype(NdisOidRequest),
                                 NDIS_STATUS(NDIS_HANDLE, PNDIS_OID_REQUEST)>);
    static_assert(std::is_same_v<decltype(NdisSendNetBufferLists),
                                 VOID(NDIS_HANDLE, PNET_BUFFER_LIST, NDIS_PORT_NUMBER, ULONG)>);
    static_assert(std::is_same_v<decltype(NdisReturnNetBufferLists),
                                 VOID(NDIS_HANDLE, PNET_BUFFER_LIST, ULONG)>);
    static_assert(std::is_same_v<decltype(NdisCancelSendNetBufferLists),
                                 VOID(NDIS_HANDLE, PVOID)>);
    static_assert(std::is_same_v<decltype(NdisGeneratePartialCancelId), UCHAR(VOID)>);
    static_assert(std::is_same_v<decltype(NdisQueryAdapterInstanceName),
                                 NDIS_STATUS(PNDIS_STRING, NDIS_HANDLE)>);
    SUCCEED();
}

// [PDB] _NDIS_BIND_PARAMETERS 0x138 (every field offset), _NDIS_OPEN_PARAMETERS 0x38,
// _NDIS_PROTOCOL_RESTART_PARAMETERS 0x38; [WDK] bind revision n ends at BoundAdapterName,
// HDSplitCurrentConfig, NicSwitchCapabilities, NicSwitchArray.
TEST(DriverHeaders, ProtocolParameterLayouts)
{
    using B = NDIS_BIND_PARAMETERS;
    EXPECT_SIZE(B, 0x138);
    EXPECT_OFFSET(B, ProtocolSection, 0x08);
    EXPECT_OFFSET(B, AdapterName, 0x10);
    EXPECT_OFFSET(B, PhysicalDeviceObject, 0x18);
    EXPECT_OFFSET(B, MediaType, 0x20);
    EXPECT_OFFSET(B, MtuSize, 0x24);
    EXPECT_OFFSET(B, MaxXmitLinkSpeed, 0x28);
    EXPECT_OFFSET(B, XmitLinkSpeed, 0x30);
    EXPECT_OFFSET(B, MaxRcvLinkSpeed, 0x38);
    EXPECT_OFFSET(B, RcvLinkSpeed, 0x40);
    EXPECT_OFFSET(B, MediaConnectState, 0x48);
    EXPECT_OFFSET(B, MediaDuplexState, 0x4C);
    EXPECT_OFFSET(B, LookaheadSize, 0x50);
    EXPECT_OFFSET(B, PowerManagementCapabilities, 0x58);
    EXPECT_OFFSET(B, SupportedPacketFilters, 0x60);
    EXPECT_OFFSET(B, MaxMulticastListSize, 0x64);
    EXPECT_OFFSET(B, MacAddressLength, 0x68);
    EXPECT_OFFSET(B, CurrentMacAddress, 0x6A);
    EXPECT_OFFSET(B, PhysicalMediumType, 0x8C);
    EXPECT_OFFSET(B, RcvScaleCapabilities, 0x90);
    EXPECT_OFFSET(B, BoundIfNetluid, 0x98);
    EXPECT_OFFSET(B, BoundIfIndex, 0xA0);
    EXPECT_OFFSET(B, LowestIfNetluid, 0xA8);
    EXPECT_OFFSET(B, LowestIfIndex, 0xB0);
    EXPECT_OFFSET(B, AccessType, 0xB4);
    EXPECT_OFFSET(B, DirectionType, 0xB8);
    EXPECT_OFFSET(B, ConnectionType, 0xBC);
    EXPECT_OFFSET(B, IfType, 0xC0);
    EXPECT_OFFSET(B, IfConnectorPresent, 0xC2);
    EXPECT_OFFSET(B, ActivePorts, 0xC8);
    EXPECT_OFFSET(B, DataBackFillSize, 0xD0);
    EXPECT_OFFSET(B, ContextBackFillSize, 0xD4);
    EXPECT_OFFSET(B, MacOptions, 0xD8);
    EXPECT_OFFSET(B, CompartmentId, 0xDC);
    EXPECT_OFFSET(B, DefaultOffloadConfiguration, 0xE0);
    EXPECT_OFFSET(B, TcpConnectionOffloadCapabilities, 0xE8);
    EXPECT_OFFSET(B, BoundAdapterName, 0xF0);
    EXPECT_OFFSET(B, HDSplitCurrentConfig, 0xF8);
    EXPECT_OFFSET(B, ReceiveFilterCapabilities, 0x100);
    EXPECT_OFFSET(B, PowerManagementCapabilitiesEx, 0x108);
    EXPECT_OFFSET(B, NicSwitchCapabilities, 0x110);
    EXPECT_OFFSET(B, NDKEnabled, 0x118);
    EXPECT_OFFSET(B, NDKCapabilities, 0x120);
    EXPECT_OFFSET(B, SriovCapabilities, 0x128);
    EXPECT_OFFSET(B, NicSwitchArray, 0x130);
    EXPECT_SIZEOF_THROUGH(NDIS_SIZEOF_BIND_PARAMETERS_REVISION_1, B, BoundAdapterName);
    EXPECT_SIZEOF_THROUGH(NDIS_SIZEOF_BIND_PARAMETERS_REVISION_2, B, HDSplitCurrentConfig);
    EXPECT_SIZEOF_THROUGH(NDIS_SIZEOF_BIND_PARAMETERS_REVISION_3, B, NicSwitchCapabilities);
    EXPECT_SIZEOF_THROUGH(NDIS_SIZEOF_BIND_PARAMETERS_REVISION_4, B, NicSwitchArray);
    EXPECT_SIZEOF_VALUE(NDIS_SIZEOF_BIND_PARAMETERS_REVISION_1, 0xF8);
    EXPECT_SIZEOF_VALUE(NDIS_SIZEOF_BIND_PARAMETERS_REVISION_2, 0x100);
    EXPECT_SIZEOF_VALUE(NDIS_SIZEOF_BIND_PARAMETERS_REVISION_3, 0x118);
    EXPECT_SIZEOF_VALUE(NDIS_SIZEOF_BIND_PARAMETERS_REVISION_4, 0x138);
    EXPECT_EQ(NDIS_BIND_PARAMETERS_REVISION_4, 4);

    using O = NDIS_OPEN_PARAMETERS;
    EXPECT_SIZE(O, 0x38);
    EXPECT_OFFSET(O, AdapterName, 0x08);
    EXPECT_OFFSET(O, MediumArray, 0x10);
    EXPECT_OFFSET(O, MediumArraySize, 0x18);
    EXPECT_OFFSET(O, SelectedMediumIndex, 0x20);
    EXPECT_OFFSET(O, FrameTypeArray, 0x28);
    EXPECT_OFFSET(O, FrameTypeArraySize, 0x30);
    EXPECT_SIZEOF_THROUGH(NDIS_SIZEOF_OPEN_PARAMETERS_REVISION_1, O, FrameTypeArraySize);
    EXPECT_SIZEOF_VALUE(NDIS_SIZEOF_OPEN_PARAMETERS_REVSION_1, 0x34);
    EXPECT_EQ(NDIS_OPEN_PARAMETERS_REVISION_1, 1);
    EXPECT_SIZE(NET_FRAME_TYPE, 2);

    using P = NDIS_PROTOCOL_RESTART_PARAMETERS;
    EXPECT_SIZE(P, 0x38);
    EXPECT_OFFSET(P, FilterModuleNameBuffer, 0x08);
    EXPECT_OFFSET(P, FilterModuleNameBufferLength, 0x10);
    EXPECT_OFFSET(P, RestartAttributes, 0x18);
    EXPECT_OFFSET(P, BoundIfIndex, 0x20);
    EXPECT_OFFSET(P, BoundIfNetluid, 0x28);
    EXPECT_OFFSET(P, Flags, 0x30);
    EXPECT_SIZEOF_THROUGH(NDIS_SIZEOF_PROTOCOL_RESTART_PARAMETERS_REVISION_1, P, Flags);

    EXPECT_SIZE(NDIS_PROTOCOL_PAUSE_PARAMETERS, 12);
    EXPECT_SIZEOF_THROUGH(NDIS_SIZEOF_PROTOCOL_PAUSE_PARAMETERS_REVISION_1,
                          NDIS_PROTOCOL_PAUSE_PARAMETERS, PauseReason);
}

// A driver written the WDK way: declare with the role type, assign into the characteristics.
MINIPORT_INITIALIZE ProbeInitialize;
PROTOCOL_BIND_ADAPTER_EX ProbeBind;

_Use_decl_annotations_ NDIS_STATUS ProbeInitialize(NDIS_HANDLE, NDIS_HANDLE,
                                                   PNDIS_MINIPORT_INIT_PARAMETERS)
{
    return NDIS_STATUS_SUCCESS;
}

_Use_decl_annotations_ NDIS_STATUS ProbeBind(NDIS_HANDLE, NDIS_HANDLE, PNDIS_BIND_PARAMETERS)
{
    return NDIS_STATUS_SUCCESS;
}

TEST(DriverHeaders, RoleTypedHandlersAssign)
{
    NDIS_MINIPORT_DRIVER_CHARACTERISTICS mc{};
    mc.InitializeHandlerEx = ProbeInitialize;
    NDIS_PROTOCOL_DRIVER_CHARACTERISTICS pc{};
    pc.BindAdapterHandlerEx = ProbeBind;
    EXPECT_EQ(mc.InitializeHandlerEx(nullptr, nullptr, nullptr), NDIS_STATUS_SUCCESS);
    EXPECT_EQ(pc.BindAdapterHandlerEx(nullptr, nullptr, nullptr), NDIS_STATUS_SUCCESS);
}

} // namespace
