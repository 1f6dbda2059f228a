// test_pools.cpp — NBL/NB pools, NBL/NB/MDL allocation and the NET_BUFFER_LIST data model
// (SPEC §1 DS-08 … DS-18, DS-20, DS-21, DS-24, DS-27 and §2 POOL-01 … POOL-13, VER-05).
//
// Black-box tests against libopenndis.so through <ndis.h> and <openndis/runtime.h>: pool
// parameter validation, the three NBL pool kinds field by field, NBL contexts (at allocation
// and through NdisAllocate/FreeNetBufferListContext), ownership rules of preallocated objects,
// pools freed with objects out, NB pools, verify pools (quarantine + PROT_NONE), re-initialisation
// of recycled objects, foreign objects, MDL helpers, allocation-failure injection, the leak
// report, cross-thread use, and the ABI layout of the WDK structures.
//
// Every test names the SPEC IDs it checks. The harness (tests/support/test_main.cpp) fails a
// test that leaks runtime objects or that triggers a verifier report outside a VerifierCapture.
#include "openndis_test.hpp"

#include <ndis.h>
#include <openndis/runtime.h>

#include <gtest/gtest.h>

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <type_traits>
#include <vector>

namespace {

using openndis::test::VerifierCapture;

constexpr ULONG kTag = 'lbnX';     // renders as "Xnbl" (memory order)
constexpr ULONG kNbTag = 'bnNX';   // renders as "XNnb"
constexpr ULONG kCtxTag = 'xtCX';  // renders as "XCtx"

constexpr USHORT kRev1Size =
    static_cast<USHORT>(NDIS_SIZEOF_NET_BUFFER_LIST_POOL_PARAMETERS_REVISION_1);
constexpr USHORT kRev2Size =
    static_cast<USHORT>(NDIS_SIZEOF_NET_BUFFER_LIST_POOL_PARAMETERS_REVISION_2);

NET_BUFFER_LIST_POOL_PARAMETERS NblParams(BOOLEAN allocate_nb, ULONG data_size,
                                          USHORT context_size = 0, UCHAR revision = 1,
                                          ULONG flags = 0)
{
    NET_BUFFER_LIST_POOL_PARAMETERS p{};
    p.Header.Type = NDIS_OBJECT_TYPE_DEFAULT;
    p.Header.Revision = revision;
    p.Header.Size = revision >= NET_BUFFER_LIST_POOL_PARAMETERS_REVISION_2 ? kRev2Size : kRev1Size;
    p.ProtocolId = 0;
    p.fAllocateNetBuffer = allocate_nb;
    p.ContextSize = context_size;
    p.PoolTag = kTag;
    p.DataSize = data_size;
    p.Flags = flags;
    return p;
}

NET_BUFFER_LIST_POOL_PARAMETERS VerifyParams(BOOLEAN allocate_nb, ULONG data_size,
                                             USHORT context_size = 0)
{
    return NblParams(allocate_nb, data_size, context_size, NET_BUFFER_LIST_POOL_PARAMETERS_REVISION_2,
                     NET_BUFFER_LIST_POOL_FLAG_VERIFY);
}

NET_BUFFER_POOL_PARAMETERS NbParams(ULONG data_size)
{
    NET_BUFFER_POOL_PARAMETERS p{};
    p.Header.Type = NDIS_OBJECT_TYPE_DEFAULT;
    p.Header.Revision = NET_BUFFER_POOL_PARAMETERS_REVISION_1;
    p.Header.Size = static_cast<USHORT>(NDIS_SIZEOF_NET_BUFFER_POOL_PARAMETERS_REVISION_1);
    p.PoolTag = kNbTag;
    p.DataSize = data_size;
    return p;
}

// Owns an NBL pool handle; frees it at scope exit unless released.
class NblPool {
public:
    explicit NblPool(const NET_BUFFER_LIST_POOL_PARAMETERS &p, NDIS_HANDLE owner = nullptr)
        : _h(NdisAllocateNetBufferListPool(owner, &p))
    {
    }
    ~NblPool()
    {
        if (_h != nullptr) NdisFreeNetBufferListPool(_h);
    }
    NblPool(const NblPool &) = delete;
    NblPool &operator=(const NblPool &) = delete;
    NDIS_HANDLE get() const { return _h; }
    NDIS_HANDLE release()
    {
        NDIS_HANDLE h = _h;
        _h = nullptr;
        return h;
    }

private:
    NDIS_HANDLE _h;
};

class NbPool {
public:
    explicit NbPool(const NET_BUFFER_POOL_PARAMETERS &p) : _h(NdisAllocateNetBufferPool(nullptr, &p)) {}
    ~NbPool()
    {
        if (_h != nullptr) NdisFreeNetBufferPool(_h);
    }
    NbPool(const NbPool &) = delete;
    NbPool &operator=(const NbPool &) = delete;
    NDIS_HANDLE get() const { return _h; }
    NDIS_HANDLE release()
    {
        NDIS_HANDLE h = _h;
        _h = nullptr;
        return h;
    }

private:
    NDIS_HANDLE _h;
};

OPENNDIS_STATS Stats()
{
    return openndis::test::live_objects();
}

// Live-object counts at the start of the running test (set by a listener registered below), so
// that Live() reports what this test has out even if an earlier test leaked.
OPENNDIS_STATS g_test_start{};

class BaselineListener final : public ::testing::EmptyTestEventListener {
    void OnTestStart(const ::testing::TestInfo &) override { g_test_start = Stats(); }
};

[[maybe_unused]] const bool g_baseline_registered = [] {
    ::testing::UnitTest::GetInstance()->listeners().Append(new BaselineListener);
    return true;
}();

// Objects this test has out right now.
OPENNDIS_STATS Live()
{
    OPENNDIS_STATS s = Stats();
    s.NblPools -= g_test_start.NblPools;
    s.NbPools -= g_test_start.NbPools;
    s.Nbls -= g_test_start.Nbls;
    s.Nbs -= g_test_start.Nbs;
    s.Mdls -= g_test_start.Mdls;
    s.NblContexts -= g_test_start.NblContexts;
    s.MemoryBlocks -= g_test_start.MemoryBlocks;
    s.MemoryBytes -= g_test_start.MemoryBytes;
    s.SgLists -= g_test_start.SgLists;
    return s;
}

bool AllZero(const void *p, std::size_t n)
{
    const auto *b = static_cast<const unsigned char *>(p);
    for (std::size_t i = 0; i < n; ++i) {
        if (b[i] != 0) return false;
    }
    return true;
}

std::string PtrString(const void *p)
{
    char buf[32];
    std::snprintf(buf, sizeof buf, "%p", p);
    return buf;
}

// Disarms allocation-failure injection even when a test fails half-way.
struct InjectionGuard {
    ~InjectionGuard() { OpenNdisInjectAllocationFailures(0, 0); }
};

// ============================== ABI: DS-08, DS-09, DS-13, DS-28 ===============================

TEST(PoolsAbi, NetBufferLayout_DS08)
{
    EXPECT_EQ(offsetof(NET_BUFFER, Next), 0u);
    EXPECT_EQ(offsetof(NET_BUFFER, Link), 0u);
    EXPECT_EQ(offsetof(NET_BUFFER, NetBufferHeader), 0u);
    EXPECT_EQ(offsetof(NET_BUFFER, CurrentMdl), 8u);
    EXPECT_EQ(offsetof(NET_BUFFER, CurrentMdlOffset), 16u);
    EXPECT_EQ(offsetof(NET_BUFFER, DataLength), 24u);
    EXPECT_EQ(offsetof(NET_BUFFER, stDataLength), 24u);
    EXPECT_EQ(offsetof(NET_BUFFER, MdlChain), 32u);
    EXPECT_EQ(offsetof(NET_BUFFER, DataOffset), 40u);
    EXPECT_EQ(offsetof(NET_BUFFER, ChecksumBias), 48u);
    EXPECT_EQ(offsetof(NET_BUFFER, Reserved), 50u);
    EXPECT_EQ(offsetof(NET_BUFFER, NdisPoolHandle), 56u);
    EXPECT_EQ(offsetof(NET_BUFFER, NdisReserved), 64u);
    EXPECT_EQ(offsetof(NET_BUFFER, ProtocolReserved), 80u);
    EXPECT_EQ(offsetof(NET_BUFFER, MiniportReserved), 128u);
    EXPECT_EQ(offsetof(NET_BUFFER, DataPhysicalAddress), 160u);
    EXPECT_EQ(offsetof(NET_BUFFER, SharedMemoryInfo), 168u);
    EXPECT_EQ(offsetof(NET_BUFFER, ScatterGatherList), 168u);
    EXPECT_EQ(sizeof(NET_BUFFER), 176u);
    EXPECT_EQ(sizeof(((NET_BUFFER *)nullptr)->NdisReserved), 2 * sizeof(PVOID));
    EXPECT_EQ(sizeof(((NET_BUFFER *)nullptr)->ProtocolReserved), 6 * sizeof(PVOID));
    EXPECT_EQ(sizeof(((NET_BUFFER *)nullptr)->MiniportReserved), 4 * sizeof(PVOID));
    EXPECT_EQ(sizeof(((NET_BUFFER *)nullptr)->DataLength), 4u);   // DS-07
    EXPECT_EQ(sizeof(((NET_BUFFER *)nullptr)->stDataLength), 8u); // DS-07
    // Classic spellings (NET_BUFFER_HEADER / NET_BUFFER_DATA) sit at the same offsets.
    EXPECT_EQ(offsetof(NET_BUFFER_DATA, Next), 0u);
    EXPECT_EQ(offsetof(NET_BUFFER_DATA, CurrentMdl), 8u);
    EXPECT_EQ(offsetof(NET_BUFFER_DATA, CurrentMdlOffset), 16u);
    EXPECT_EQ(offsetof(NET_BUFFER_DATA, DataLength), 24u);
    EXPECT_EQ(offsetof(NET_BUFFER_DATA, MdlChain), 32u);
    EXPECT_EQ(offsetof(NET_BUFFER_DATA, DataOffset), 40u);
    EXPECT_EQ(sizeof(NET_BUFFER_HEADER), 48u);
    EXPECT_EQ(alignof(NET_BUFFER), 16u);
}

TEST(PoolsAbi, NetBufferListLayout_DS09)
{
    EXPECT_EQ(offsetof(NET_BUFFER_LIST, Next), 0u);
    EXPECT_EQ(offsetof(NET_BUFFER_LIST, FirstNetBuffer), 8u);
    EXPECT_EQ(offsetof(NET_BUFFER_LIST, Link), 0u);
    EXPECT_EQ(offsetof(NET_BUFFER_LIST, NetBufferListHeader), 0u);
    EXPECT_EQ(offsetof(NET_BUFFER_LIST, Context), 16u);
    EXPECT_EQ(offsetof(NET_BUFFER_LIST, ParentNetBufferList), 24u);
    EXPECT_EQ(offsetof(NET_BUFFER_LIST, NdisPoolHandle), 32u);
    EXPECT_EQ(offsetof(NET_BUFFER_LIST, NdisReserved), 48u);
    EXPECT_EQ(offsetof(NET_BUFFER_LIST, ProtocolReserved), 64u);
    EXPECT_EQ(offsetof(NET_BUFFER_LIST, MiniportReserved), 96u);
    EXPECT_EQ(offsetof(NET_BUFFER_LIST, Scratch), 112u);
    EXPECT_EQ(offsetof(NET_BUFFER_LIST, SourceHandle), 120u);
    EXPECT_EQ(offsetof(NET_BUFFER_LIST, NblFlags), 128u);
    EXPECT_EQ(offsetof(NET_BUFFER_LIST, ChildRefCount), 132u);
    EXPECT_EQ(offsetof(NET_BUFFER_LIST, Flags), 136u);
    EXPECT_EQ(offsetof(NET_BUFFER_LIST, Status), 140u);
    EXPECT_EQ(offsetof(NET_BUFFER_LIST, NdisReserved2), 140u);
    EXPECT_EQ(offsetof(NET_BUFFER_LIST, NetBufferListInfo), 144u);
    EXPECT_EQ(sizeof(NET_BUFFER_LIST), 368u);
    EXPECT_EQ(sizeof(((NET_BUFFER_LIST *)nullptr)->NetBufferListInfo),
              MaxNetBufferListInfo * sizeof(PVOID));
    EXPECT_EQ(sizeof(((NET_BUFFER_LIST *)nullptr)->ProtocolReserved), 4 * sizeof(PVOID));
    EXPECT_EQ(sizeof(((NET_BUFFER_LIST *)nullptr)->MiniportReserved), 2 * sizeof(PVOID));
    EXPECT_EQ(offsetof(NET_BUFFER_LIST_DATA, Next), 0u);
    EXPECT_EQ(offsetof(NET_BUFFER_LIST_DATA, FirstNetBuffer), 8u);
    EXPECT_EQ(sizeof(NET_BUFFER_LIST_HEADER), 16u);
    EXPECT_EQ(alignof(NET_BUFFER_LIST), 16u);
}

TEST(PoolsAbi, ContextMdlAndParameterLayouts_DS13_DS28_POOL01_POOL11)
{
    EXPECT_EQ(offsetof(NET_BUFFER_LIST_CONTEXT, Next), 0u);
    EXPECT_EQ(offsetof(NET_BUFFER_LIST_CONTEXT, Size), 8u);
    EXPECT_EQ(offsetof(NET_BUFFER_LIST_CONTEXT, Offset), 10u);
    EXPECT_EQ(offsetof(NET_BUFFER_LIST_CONTEXT, ContextData), 16u);
    EXPECT_EQ(sizeof(NET_BUFFER_LIST_CONTEXT), 16u);

    EXPECT_EQ(offsetof(MDL, Next), 0u);
    EXPECT_EQ(offsetof(MDL, Size), 8u);
    EXPECT_EQ(offsetof(MDL, MdlFlags), 10u);
    EXPECT_EQ(offsetof(MDL, Process), 16u);
    EXPECT_EQ(offsetof(MDL, MappedSystemVa), 24u);
    EXPECT_EQ(offsetof(MDL, StartVa), 32u);
    EXPECT_EQ(offsetof(MDL, ByteCount), 40u);
    EXPECT_EQ(offsetof(MDL, ByteOffset), 44u);
    EXPECT_EQ(sizeof(MDL), 48u);

    EXPECT_EQ(offsetof(NET_BUFFER_LIST_POOL_PARAMETERS, Header), 0u);
    EXPECT_EQ(offsetof(NET_BUFFER_LIST_POOL_PARAMETERS, ProtocolId), 4u);
    EXPECT_EQ(offsetof(NET_BUFFER_LIST_POOL_PARAMETERS, fAllocateNetBuffer), 5u);
    EXPECT_EQ(offsetof(NET_BUFFER_LIST_POOL_PARAMETERS, ContextSize), 6u);
    EXPECT_EQ(offsetof(NET_BUFFER_LIST_POOL_PARAMETERS, PoolTag), 8u);
    EXPECT_EQ(offsetof(NET_BUFFER_LIST_POOL_PARAMETERS, DataSize), 12u);
    EXPECT_EQ(offsetof(NET_BUFFER_LIST_POOL_PARAMETERS, Flags), 16u);
    EXPECT_EQ(NDIS_SIZEOF_NET_BUFFER_LIST_POOL_PARAMETERS_REVISION_1, 16u);
    EXPECT_EQ(NDIS_SIZEOF_NET_BUFFER_LIST_POOL_PARAMETERS_REVISION_2, 20u);
    EXPECT_EQ(NET_BUFFER_LIST_POOL_PARAMETERS_REVISION_1, 1);
    EXPECT_EQ(NET_BUFFER_LIST_POOL_FLAG_VERIFY, 1);
    EXPECT_EQ(NDIS_OBJECT_TYPE_DEFAULT, 0x80);

    EXPECT_EQ(offsetof(NET_BUFFER_POOL_PARAMETERS, Header), 0u);
    EXPECT_EQ(offsetof(NET_BUFFER_POOL_PARAMETERS, PoolTag), 4u);
    EXPECT_EQ(offsetof(NET_BUFFER_POOL_PARAMETERS, DataSize), 8u);
    EXPECT_EQ(NDIS_SIZEOF_NET_BUFFER_POOL_PARAMETERS_REVISION_1, 12u);
    EXPECT_EQ(NET_BUFFER_POOL_PARAMETERS_REVISION_1, 1);
}

// Classic spellings of the header unions alias the direct names (DS-08, DS-09, DS-07).
TEST(PoolsAbi, ClassicSpellingsAlias_DS07_DS08_DS09)
{
    NblPool pool(NblParams(TRUE, 64));
    ASSERT_NE(pool.get(), nullptr);
    PNET_BUFFER_LIST nbl = NdisAllocateNetBufferList(pool.get(), 0, 0);
    ASSERT_NE(nbl, nullptr);
    PNET_BUFFER nb = nbl->FirstNetBuffer;
    ASSERT_NE(nb, nullptr);

    EXPECT_EQ(&nbl->NetBufferListHeader.NetBufferListData.Next, &nbl->Next);
    EXPECT_EQ(&nbl->NetBufferListHeader.NetBufferListData.FirstNetBuffer, &nbl->FirstNetBuffer);
    EXPECT_EQ(nbl->NetBufferListHeader.NetBufferListData.FirstNetBuffer, nb);
    EXPECT_EQ(nbl->NetBufferListHeader.NetBufferListData.Next, nbl->Next);
    EXPECT_EQ(static_cast<void *>(&nbl->Link), static_cast<void *>(&nbl->Next));

    EXPECT_EQ(&nb->NetBufferHeader.NetBufferData.Next, &nb->Next);
    EXPECT_EQ(&nb->NetBufferHeader.NetBufferData.CurrentMdl, &nb->CurrentMdl);
    EXPECT_EQ(&nb->NetBufferHeader.NetBufferData.CurrentMdlOffset, &nb->CurrentMdlOffset);
    EXPECT_EQ(&nb->NetBufferHeader.NetBufferData.DataLength, &nb->DataLength);
    EXPECT_EQ(&nb->NetBufferHeader.NetBufferData.NbDataLength.DataLength, &nb->DataLength);
    EXPECT_EQ(&nb->NetBufferHeader.NetBufferData.MdlChain, &nb->MdlChain);
    EXPECT_EQ(&nb->NetBufferHeader.NetBufferData.DataOffset, &nb->DataOffset);
    EXPECT_EQ(nb->NetBufferHeader.NetBufferData.MdlChain, nb->MdlChain);
    EXPECT_EQ(nb->NetBufferHeader.NetBufferData.DataLength, 64u);
    EXPECT_EQ(static_cast<void *>(&nb->Link), static_cast<void *>(&nb->Next));

    // stDataLength is the SIZE_T alias of DataLength (little-endian: low 32 bits).
    const ULONG saved = nb->DataLength;
    nb->stDataLength = 0;
    nb->DataLength = 0x12345678u;
    EXPECT_EQ(nb->stDataLength, 0x12345678u);
    nb->stDataLength = 40;
    EXPECT_EQ(nb->DataLength, 40u);
    EXPECT_EQ(nb->NetBufferHeader.NetBufferData.stDataLength, 40u);
    nb->stDataLength = saved;
    EXPECT_EQ(nb->DataLength, saved);

    NdisFreeNetBufferList(nbl);
}

// ============================== DS-10 accessors, DS-18 / DS-20 flags ==========================

TEST(PoolsAccessors, NblAccessorMacrosAreLvalues_DS10)
{
    alignas(16) NET_BUFFER_LIST nbl{};
    alignas(16) NET_BUFFER_LIST other{};
    alignas(16) NET_BUFFER nb{};
    int cookie = 0;

    NET_BUFFER_LIST_NEXT_NBL(&nbl) = &other;
    EXPECT_EQ(nbl.Next, &other);
    NET_BUFFER_LIST_FIRST_NB(&nbl) = &nb;
    EXPECT_EQ(nbl.FirstNetBuffer, &nb);
    NET_BUFFER_LIST_FLAGS(&nbl) = 0xA5A50000u;
    EXPECT_EQ(nbl.Flags, 0xA5A50000u);
    NET_BUFFER_LIST_NBL_FLAGS(&nbl) = NDIS_NBL_FLAGS_IS_IPV4;
    EXPECT_EQ(nbl.NblFlags, static_cast<ULONG>(NDIS_NBL_FLAGS_IS_IPV4));
    NET_BUFFER_LIST_PROTOCOL_RESERVED(&nbl)[3] = &cookie;
    EXPECT_EQ(nbl.ProtocolReserved[3], &cookie);
    NET_BUFFER_LIST_MINIPORT_RESERVED(&nbl)[1] = &cookie;
    EXPECT_EQ(nbl.MiniportReserved[1], &cookie);
    NET_BUFFER_LIST_STATUS(&nbl) = NDIS_STATUS_RESOURCES;
    EXPECT_EQ(nbl.Status, NDIS_STATUS_RESOURCES);
    for (int id = 0; id < MaxNetBufferListInfo; ++id) {
        NET_BUFFER_LIST_INFO(&nbl, id) = reinterpret_cast<PVOID>(static_cast<ULONG_PTR>(id + 1));
        EXPECT_EQ(nbl.NetBufferListInfo[id], reinterpret_cast<PVOID>(static_cast<ULONG_PTR>(id + 1)));
    }
    NET_BUFFER_LIST_INFO(&nbl, Ieee8021QNetBufferListInfo) = &cookie;
    EXPECT_EQ(nbl.NetBufferListInfo[Ieee8021QNetBufferListInfo], &cookie);

    // Context accessors read the NET_BUFFER_LIST_CONTEXT fields (DS-13, §16 point 3).
    alignas(16) unsigned char block[sizeof(NET_BUFFER_LIST_CONTEXT) + 64] = {};
    auto *ctx = reinterpret_cast<PNET_BUFFER_LIST_CONTEXT>(block);
    ctx->Size = 64;
    ctx->Offset = 48;
    nbl.Context = ctx;
    EXPECT_EQ(NET_BUFFER_LIST_CONTEXT_DATA_START(&nbl), block + 16 + 48);
    EXPECT_EQ(NET_BUFFER_LIST_CONTEXT_DATA_SIZE(&nbl), 64);
}

TEST(PoolsAccessors, NbAccessorMacrosAreLvalues_DS10)
{
    alignas(16) NET_BUFFER nb{};
    alignas(16) NET_BUFFER other{};
    MDL mdl{};
    int cookie = 0;

    NET_BUFFER_NEXT_NB(&nb) = &other;
    EXPECT_EQ(nb.Next, &other);
    NET_BUFFER_FIRST_MDL(&nb) = &mdl;
    EXPECT_EQ(nb.MdlChain, &mdl);
    NET_BUFFER_DATA_LENGTH(&nb) = 1500;
    EXPECT_EQ(nb.DataLength, 1500u);
    NET_BUFFER_DATA_OFFSET(&nb) = 14;
    EXPECT_EQ(nb.DataOffset, 14u);
    NET_BUFFER_CURRENT_MDL(&nb) = &mdl;
    EXPECT_EQ(nb.CurrentMdl, &mdl);
    NET_BUFFER_CURRENT_MDL_OFFSET(&nb) = 14;
    EXPECT_EQ(nb.CurrentMdlOffset, 14u);
    NET_BUFFER_PROTOCOL_RESERVED(&nb)[5] = &cookie;
    EXPECT_EQ(nb.ProtocolReserved[5], &cookie);
    NET_BUFFER_MINIPORT_RESERVED(&nb)[3] = &cookie;
    EXPECT_EQ(nb.MiniportReserved[3], &cookie);
    NET_BUFFER_CHECKSUM_BIAS(&nb) = 20;
    EXPECT_EQ(nb.ChecksumBias, 20);
    // Macros are expressions of the field's own type (compile-time check of lvalue-ness).
    static_assert(std::is_same_v<decltype((NET_BUFFER_DATA_LENGTH(&nb))), ULONG &>);
    static_assert(std::is_same_v<decltype((NET_BUFFER_LIST_FLAGS((PNET_BUFFER_LIST) nullptr))),
                                 ULONG &>);
}

TEST(PoolsAccessors, NblFlagHelpers_DS18)
{
    alignas(16) NET_BUFFER_LIST nbl{};
    EXPECT_EQ(NDIS_NBL_FLAGS_SEND_READ_ONLY, 0x1);
    EXPECT_EQ(NDIS_NBL_FLAGS_RECV_READ_ONLY, 0x2);
    EXPECT_EQ(NDIS_NBL_FLAGS_HD_SPLIT, 0x100);
    EXPECT_EQ(NDIS_NBL_FLAGS_IS_IPV4, 0x200);
    EXPECT_EQ(NDIS_NBL_FLAGS_IS_IPV6, 0x400);
    EXPECT_EQ(NDIS_NBL_FLAGS_IS_TCP, 0x800);
    EXPECT_EQ(NDIS_NBL_FLAGS_IS_UDP, 0x1000);
    EXPECT_EQ(NDIS_NBL_FLAGS_SPLIT_AT_UPPER_LAYER_PROTOCOL_HEADER, 0x2000);
    EXPECT_EQ(NDIS_NBL_FLAGS_SPLIT_AT_UPPER_LAYER_PROTOCOL_PAYLOAD, 0x4000);
    EXPECT_EQ(NDIS_NBL_FLAGS_IS_LOOPBACK_PACKET, 0x8000);
    EXPECT_EQ(NDIS_NBL_FLAGS_CAPTURE_TIMESTAMP_ON_TRANSMIT, 0x10000);

    EXPECT_FALSE(NdisTestNblFlag(&nbl, NDIS_NBL_FLAGS_IS_IPV4));
    NdisSetNblFlag(&nbl, NDIS_NBL_FLAGS_IS_IPV4);
    EXPECT_TRUE(NdisTestNblFlag(&nbl, NDIS_NBL_FLAGS_IS_IPV4));
    EXPECT_EQ(nbl.NblFlags, 0x200u);
    NdisSetNblFlag(&nbl, NDIS_NBL_FLAGS_IS_TCP);
    EXPECT_EQ(nbl.NblFlags, 0xA00u);
    EXPECT_TRUE(NdisTestNblFlags(&nbl, NDIS_NBL_FLAGS_IS_IPV4 | NDIS_NBL_FLAGS_IS_TCP));
    EXPECT_FALSE(NdisTestNblFlags(&nbl, NDIS_NBL_FLAGS_IS_IPV4 | NDIS_NBL_FLAGS_IS_UDP));
    EXPECT_TRUE(NdisTestNblFlag(&nbl, NDIS_NBL_FLAGS_IS_IPV4 | NDIS_NBL_FLAGS_IS_UDP));
    NdisClearNblFlag(&nbl, NDIS_NBL_FLAGS_IS_IPV4);
    EXPECT_FALSE(NdisTestNblFlag(&nbl, NDIS_NBL_FLAGS_IS_IPV4));
    EXPECT_TRUE(NdisTestNblFlag(&nbl, NDIS_NBL_FLAGS_IS_TCP));
    EXPECT_EQ(nbl.NblFlags, 0x800u);
    EXPECT_EQ(nbl.Flags, 0u); // NblFlags helpers never touch Flags
}

TEST(PoolsAccessors, ProtocolReservedFlagMacrosTouchOnlyProtocolBits_DS20)
{
    EXPECT_EQ(NBL_FLAGS_PROTOCOL_RESERVED, 0xFFF00000u);
    EXPECT_EQ(NBL_FLAGS_MINIPORT_RESERVED, 0x0000F000u);
    EXPECT_EQ(NBL_FLAGS_SCRATCH, 0x000F0000u);
    EXPECT_EQ(NBL_FLAGS_NDIS_RESERVED, 0x00000FFFu);
    EXPECT_EQ(NDIS_NBL_FLAGS_PROTOCOL_RESERVED_NDIS630, 0xFFF00003u);
    EXPECT_EQ(NDIS_NBL_FLAGS_NDIS_RESERVED_NDIS630, 0x00000FFCu);
    // The four masks partition the 32 bits.
    EXPECT_EQ(NBL_FLAGS_PROTOCOL_RESERVED | NBL_FLAGS_MINIPORT_RESERVED | NBL_FLAGS_SCRATCH |
                  NBL_FLAGS_NDIS_RESERVED,
              0xFFFFFFFFu);
    EXPECT_EQ(NBL_FLAGS_PROTOCOL_RESERVED & (NBL_FLAGS_MINIPORT_RESERVED | NBL_FLAGS_SCRATCH |
                                             NBL_FLAGS_NDIS_RESERVED),
              0u);

    alignas(16) NET_BUFFER_LIST nbl{};
    NBL_SET_PROT_RSVD_FLAG(&nbl, 0xFFFFFFFFu);
    EXPECT_EQ(nbl.Flags, 0xFFF00000u);
    EXPECT_NE(NBL_TEST_PROT_RSVD_FLAG(&nbl, 0x00100000u), 0u);
    NBL_CLEAR_PROT_RSVD_FLAG(&nbl, 0x00100000u);
    EXPECT_EQ(nbl.Flags, 0xFFE00000u);
    EXPECT_EQ(NBL_TEST_PROT_RSVD_FLAG(&nbl, 0x00100000u), 0u);

    // Other owners' bits are neither set, cleared nor seen by the protocol macros.
    nbl.Flags = 0x000FFFFFu;
    NBL_CLEAR_PROT_RSVD_FLAG(&nbl, 0xFFFFFFFFu);
    EXPECT_EQ(nbl.Flags, 0x000FFFFFu);
    EXPECT_EQ(NBL_TEST_PROT_RSVD_FLAG(&nbl, 0xFFFFFFFFu), 0u);
    NBL_SET_PROT_RSVD_FLAG(&nbl, 0x000FFFFFu);
    EXPECT_EQ(nbl.Flags, 0x000FFFFFu);
    nbl.Flags = 0xFFFFFFFFu;
    NBL_CLEAR_PROT_RSVD_FLAG(&nbl, 0xFFFFFFFFu);
    EXPECT_EQ(nbl.Flags, 0x000FFFFFu);

    // The miniport macros likewise stay within their mask; the generic ones do not filter.
    nbl.Flags = 0;
    NBL_SET_MINIPORT_RSVD_FLAG(&nbl, 0xFFFFFFFFu);
    EXPECT_EQ(nbl.Flags, 0x0000F000u);
    NBL_SET_FLAG(&nbl, 0x1u);
    EXPECT_TRUE(NBL_TEST_FLAG(&nbl, 0x1u));
    NBL_CLEAR_FLAG(&nbl, 0x1u);
    EXPECT_EQ(nbl.Flags, 0x0000F000u);
}

// ============================== POOL-01 / POOL-02 / POOL-03 ===================================

TEST(PoolParameters, Revision1And2AreAccepted_POOL01_POOL03)
{
    VerifierCapture cap;
    for (UCHAR rev : {UCHAR{1}, UCHAR{2}}) {
        for (BOOLEAN nb : {BOOLEAN{FALSE}, BOOLEAN{TRUE}}) {
            NET_BUFFER_LIST_POOL_PARAMETERS p = NblParams(nb, nb ? 128 : 0, 32, rev);
            NDIS_HANDLE h = NdisAllocateNetBufferListPool(nullptr, &p);
            EXPECT_NE(h, nullptr) << "revision " << int(rev) << " fAllocateNetBuffer " << int(nb);
            if (h != nullptr) NdisFreeNetBufferListPool(h);
        }
    }
    // A larger Header.Size than needed is fine; NdisHandle is optional (POOL-03).
    NET_BUFFER_LIST_POOL_PARAMETERS p = NblParams(FALSE, 0);
    p.Header.Size = sizeof(NET_BUFFER_LIST_POOL_PARAMETERS);
    int owner = 0;
    NDIS_HANDLE h = NdisAllocateNetBufferListPool(&owner, &p);
    EXPECT_NE(h, nullptr);
    if (h != nullptr) NdisFreeNetBufferListPool(h);
    // Revision 1 ignores Flags (the field is not part of a revision-1 structure).
    p = NblParams(TRUE, 0, 0, 1, 0xFFFFFFFFu);
    h = NdisAllocateNetBufferListPool(nullptr, &p);
    EXPECT_NE(h, nullptr);
    if (h != nullptr) NdisFreeNetBufferListPool(h);
    // Revision 2 with the verify flag.
    p = VerifyParams(TRUE, 256, 16);
    h = NdisAllocateNetBufferListPool(nullptr, &p);
    EXPECT_NE(h, nullptr);
    if (h != nullptr) NdisFreeNetBufferListPool(h);
    EXPECT_VERIFIER_REPORTS(cap);
}

struct BadParamCase {
    const char *what;
    void (*mutate)(NET_BUFFER_LIST_POOL_PARAMETERS &);
    const char *spec;
};

TEST(PoolParameters, EachBadFieldIsRejected_POOL01_POOL02)
{
    const BadParamCase cases[] = {
        {"Header.Type 0", [](NET_BUFFER_LIST_POOL_PARAMETERS &p) { p.Header.Type = 0; }, "POOL-01"},
        {"Header.Type 0x81", [](NET_BUFFER_LIST_POOL_PARAMETERS &p) { p.Header.Type = 0x81; },
         "POOL-01"},
        {"Header.Revision 0", [](NET_BUFFER_LIST_POOL_PARAMETERS &p) { p.Header.Revision = 0; },
         "POOL-01"},
        {"Header.Revision 3",
         [](NET_BUFFER_LIST_POOL_PARAMETERS &p) {
             p.Header.Revision = 3;
             p.Header.Size = sizeof(p);
         },
         "POOL-01"},
        {"Header.Size 0", [](NET_BUFFER_LIST_POOL_PARAMETERS &p) { p.Header.Size = 0; }, "POOL-01"},
        {"Header.Size rev1 - 1",
         [](NET_BUFFER_LIST_POOL_PARAMETERS &p) { p.Header.Size = kRev1Size - 1; }, "POOL-01"},
        {"Revision 2 with revision-1 size",
         [](NET_BUFFER_LIST_POOL_PARAMETERS &p) {
             p.Header.Revision = 2;
             p.Header.Size = kRev1Size;
         },
         "POOL-01"},
        {"ContextSize 8", [](NET_BUFFER_LIST_POOL_PARAMETERS &p) { p.ContextSize = 8; }, "POOL-02"},
        {"ContextSize 24", [](NET_BUFFER_LIST_POOL_PARAMETERS &p) { p.ContextSize = 24; },
         "POOL-02"},
        {"ContextSize 1", [](NET_BUFFER_LIST_POOL_PARAMETERS &p) { p.ContextSize = 1; }, "POOL-02"},
        {"DataSize without fAllocateNetBuffer",
         [](NET_BUFFER_LIST_POOL_PARAMETERS &p) {
             p.fAllocateNetBuffer = FALSE;
             p.DataSize = 1514;
         },
         "POOL-02"},
        {"unknown revision-2 Flags",
         [](NET_BUFFER_LIST_POOL_PARAMETERS &p) {
             p.Header.Revision = 2;
             p.Header.Size = kRev2Size;
             p.Flags = 0x2;
         },
         "POOL-02"},
        {"DataSize > 1 GiB", [](NET_BUFFER_LIST_POOL_PARAMETERS &p) { p.DataSize = 0x80000000u; },
         "POOL-02"},
    };
    for (const BadParamCase &c : cases) {
        SCOPED_TRACE(c.what);
        NET_BUFFER_LIST_POOL_PARAMETERS p = NblParams(TRUE, 64, 16);
        c.mutate(p);
        VerifierCapture cap;
        NDIS_HANDLE h = NdisAllocateNetBufferListPool(nullptr, &p);
        EXPECT_EQ(h, nullptr);
        if (h != nullptr) NdisFreeNetBufferListPool(h);
        EXPECT_VERIFIER_REPORTS(cap, c.spec);
    }
    // NULL parameters: a required pointer argument (VER-03), NULL returned.
    VerifierCapture cap;
    EXPECT_EQ(NdisAllocateNetBufferListPool(nullptr, nullptr), nullptr);
    EXPECT_EQ(cap.size(), 1u);
}

TEST(PoolParameters, NbPoolParametersValidated_POOL11_POOL01)
{
    {
        VerifierCapture cap;
        NbPool ok0(NbParams(0));
        NbPool ok1(NbParams(2048));
        EXPECT_NE(ok0.get(), nullptr);
        EXPECT_NE(ok1.get(), nullptr);
        EXPECT_VERIFIER_REPORTS(cap);
    }
    void (*mutations[])(NET_BUFFER_POOL_PARAMETERS &) = {
        [](NET_BUFFER_POOL_PARAMETERS &p) { p.Header.Type = 0; },
        [](NET_BUFFER_POOL_PARAMETERS &p) { p.Header.Revision = 0; },
        [](NET_BUFFER_POOL_PARAMETERS &p) { p.Header.Revision = 2; },
        [](NET_BUFFER_POOL_PARAMETERS &p) { p.Header.Size = 8; },
    };
    int i = 0;
    for (auto mutate : mutations) {
        SCOPED_TRACE(i++);
        NET_BUFFER_POOL_PARAMETERS p = NbParams(0);
        mutate(p);
        VerifierCapture cap;
        NDIS_HANDLE h = NdisAllocateNetBufferPool(nullptr, &p);
        EXPECT_EQ(h, nullptr);
        if (h != nullptr) NdisFreeNetBufferPool(h);
        EXPECT_EQ(cap.size(), 1u);
        EXPECT_TRUE(cap.has("POOL-01") || cap.has("POOL-11"));
    }
    VerifierCapture cap;
    NET_BUFFER_POOL_PARAMETERS p = NbParams(0x80000000u);
    EXPECT_EQ(NdisAllocateNetBufferPool(nullptr, &p), nullptr);
    EXPECT_EQ(NdisAllocateNetBufferPool(nullptr, nullptr), nullptr);
    EXPECT_EQ(cap.size(), 2u);
}

TEST(PoolHandles, InvalidHandlesAreReported_POOL03)
{
    NblPool nblpool(NblParams(TRUE, 0));
    NbPool nbpool(NbParams(0));
    ASSERT_NE(nblpool.get(), nullptr);
    ASSERT_NE(nbpool.get(), nullptr);
    alignas(16) static unsigned char junk[256] = {};

    VerifierCapture cap;
    EXPECT_EQ(NdisAllocateNetBufferList(nullptr, 0, 0), nullptr);
    EXPECT_EQ(NdisAllocateNetBufferList(junk, 0, 0), nullptr);
    EXPECT_EQ(NdisAllocateNetBufferList(nbpool.get(), 0, 0), nullptr); // an NB pool
    EXPECT_EQ(NdisAllocateNetBufferAndNetBufferList(nullptr, 0, 0, nullptr, 0, 0), nullptr);
    EXPECT_EQ(NdisAllocateNetBuffer(nullptr, nullptr, 0, 0), nullptr);
    EXPECT_EQ(NdisAllocateNetBuffer(nblpool.get(), nullptr, 0, 0), nullptr); // an NBL pool
    EXPECT_EQ(NdisAllocateNetBufferMdlAndData(junk), nullptr);
    NdisFreeNetBufferListPool(nullptr);
    NdisFreeNetBufferListPool(nbpool.get());
    NdisFreeNetBufferPool(nullptr);
    NdisFreeNetBufferPool(nblpool.get());
    EXPECT_VERIFIER_REPORTS(cap, "POOL-03", "POOL-03", "POOL-03", "POOL-03", "POOL-03", "POOL-03",
                            "POOL-03", "POOL-03", "POOL-03", "POOL-03", "POOL-03");
    // The pools are untouched by the rejected calls.
    PNET_BUFFER_LIST nbl = NdisAllocateNetBufferList(nblpool.get(), 0, 0);
    ASSERT_NE(nbl, nullptr);
    NdisFreeNetBufferList(nbl);
    PNET_BUFFER nb = NdisAllocateNetBuffer(nbpool.get(), nullptr, 0, 0);
    ASSERT_NE(nb, nullptr);
    NdisFreeNetBuffer(nb);
}

TEST(PoolHandles, PoolsAreCountedInStats_POOL03)
{
    const OPENNDIS_STATS before = Stats();
    {
        NblPool a(NblParams(FALSE, 0));
        NblPool b(NblParams(TRUE, 100));
        NbPool c(NbParams(0));
        const OPENNDIS_STATS during = Stats();
        EXPECT_EQ(during.NblPools, before.NblPools + 2);
        EXPECT_EQ(during.NbPools, before.NbPools + 1);
        EXPECT_EQ(during.Nbls, before.Nbls);
    }
    const OPENNDIS_STATS after = Stats();
    EXPECT_EQ(after.NblPools, before.NblPools);
    EXPECT_EQ(after.NbPools, before.NbPools);
}

// ============================== POOL-04: the three pool kinds ==================================

void ExpectFreshNblFields(const NET_BUFFER_LIST *nbl, NDIS_HANDLE pool)
{
    EXPECT_EQ(nbl->Next, nullptr);
    EXPECT_EQ(nbl->ParentNetBufferList, nullptr);       // DS-24
    EXPECT_EQ(nbl->ChildRefCount, 0);                   // DS-24
    EXPECT_EQ(nbl->Scratch, nullptr);                   // DS-21
    EXPECT_EQ(nbl->SourceHandle, nullptr);
    EXPECT_EQ(nbl->NblFlags, 0u);
    EXPECT_EQ(nbl->Flags, 0u);
    EXPECT_EQ(nbl->Status, NDIS_STATUS_SUCCESS);
    EXPECT_EQ(nbl->NdisPoolHandle, pool);               // POOL-07
    EXPECT_TRUE(AllZero(nbl->ProtocolReserved, sizeof nbl->ProtocolReserved));
    EXPECT_TRUE(AllZero(nbl->MiniportReserved, sizeof nbl->MiniportReserved));
    EXPECT_TRUE(AllZero(nbl->NetBufferListInfo, sizeof nbl->NetBufferListInfo));
}

void ExpectFreshNbHeaderFields(const NET_BUFFER *nb, NDIS_HANDLE pool)
{
    EXPECT_EQ(nb->Next, nullptr);
    EXPECT_EQ(nb->DataOffset, 0u);
    EXPECT_EQ(nb->CurrentMdlOffset, 0u);
    EXPECT_EQ(nb->ChecksumBias, 0);
    EXPECT_EQ(nb->NdisPoolHandle, pool);
    EXPECT_TRUE(AllZero(nb->ProtocolReserved, sizeof nb->ProtocolReserved));
    EXPECT_TRUE(AllZero(nb->MiniportReserved, sizeof nb->MiniportReserved));
    EXPECT_EQ(nb->DataPhysicalAddress.QuadPart, 0);
    EXPECT_EQ(nb->SharedMemoryInfo, nullptr);
}

TEST(PoolKinds, KindA_BareNbl_POOL04)
{
    NblPool pool(NblParams(FALSE, 0));
    ASSERT_NE(pool.get(), nullptr);
    PNET_BUFFER_LIST nbl = NdisAllocateNetBufferList(pool.get(), 0, 0);
    ASSERT_NE(nbl, nullptr);
    EXPECT_EQ(reinterpret_cast<std::uintptr_t>(nbl) % 16, 0u);
    EXPECT_EQ(nbl->FirstNetBuffer, nullptr);
    EXPECT_EQ(nbl->Context, nullptr);
    ExpectFreshNblFields(nbl, pool.get());
    EXPECT_EQ(NdisGetPoolFromNetBufferList(nbl), pool.get());
    EXPECT_EQ(Live().Nbs, 0u); // no NB hides behind a kind-(a) NBL
    NdisFreeNetBufferList(nbl);
}

TEST(PoolKinds, KindB_NblWithOneEmptyNb_POOL04)
{
    NblPool pool(NblParams(TRUE, 0));
    ASSERT_NE(pool.get(), nullptr);
    PNET_BUFFER_LIST nbl = NdisAllocateNetBufferList(pool.get(), 0, 0);
    ASSERT_NE(nbl, nullptr);
    ExpectFreshNblFields(nbl, pool.get());
    EXPECT_EQ(nbl->Context, nullptr);
    PNET_BUFFER nb = nbl->FirstNetBuffer;
    ASSERT_NE(nb, nullptr);
    EXPECT_EQ(reinterpret_cast<std::uintptr_t>(nb) % 16, 0u);
    ExpectFreshNbHeaderFields(nb, pool.get());
    EXPECT_EQ(nb->MdlChain, nullptr);
    EXPECT_EQ(nb->CurrentMdl, nullptr);
    EXPECT_EQ(nb->DataLength, 0u);
    EXPECT_EQ(NdisGetPoolFromNetBuffer(nb), pool.get()); // POOL-07
    NdisFreeNetBufferList(nbl);
}

void CheckKindC(ULONG data_size)
{
    SCOPED_TRACE(data_size);
    NblPool pool(NblParams(TRUE, data_size));
    ASSERT_NE(pool.get(), nullptr);
    std::vector<PNET_BUFFER_LIST> nbls;
    for (int i = 0; i < 3; ++i) {
        PNET_BUFFER_LIST nbl = NdisAllocateNetBufferList(pool.get(), 0, 0);
        ASSERT_NE(nbl, nullptr);
        nbls.push_back(nbl);
        ExpectFreshNblFields(nbl, pool.get());
        EXPECT_EQ(nbl->Context, nullptr);
        PNET_BUFFER nb = nbl->FirstNetBuffer;
        ASSERT_NE(nb, nullptr);
        ExpectFreshNbHeaderFields(nb, pool.get());
        PMDL mdl = nb->MdlChain;
        ASSERT_NE(mdl, nullptr);
        EXPECT_EQ(nb->CurrentMdl, mdl);
        EXPECT_EQ(nb->DataLength, data_size);
        EXPECT_EQ(nb->DataOffset, 0u);
        EXPECT_EQ(mdl->Next, nullptr);
        EXPECT_EQ(MmGetMdlByteCount(mdl), data_size);
        auto *va = static_cast<unsigned char *>(MmGetSystemAddressForMdlSafe(mdl, NormalPagePriority));
        ASSERT_NE(va, nullptr);
        EXPECT_EQ(va, MmGetMdlVirtualAddress(mdl));
        EXPECT_EQ(NdisGetPoolFromNetBuffer(nb), pool.get());
        // The whole buffer is writable (and distinct per NBL: patterns are checked below).
        std::memset(va, 0x30 + i, data_size);
    }
    for (int i = 0; i < 3; ++i) {
        PMDL mdl = nbls[static_cast<std::size_t>(i)]->FirstNetBuffer->MdlChain;
        auto *va = static_cast<unsigned char *>(MmGetSystemAddressForMdlSafe(mdl, NormalPagePriority));
        for (ULONG b = 0; b < data_size; ++b) {
            if (va[b] != 0x30 + i) {
                ADD_FAILURE() << "NBL " << i << " data byte " << b << " overwritten";
                break;
            }
        }
        // NB and MDL of this NBL are intact after every buffer was written.
        EXPECT_EQ(nbls[static_cast<std::size_t>(i)]->FirstNetBuffer->DataLength, data_size);
        EXPECT_EQ(mdl->ByteCount, data_size);
    }
    for (PNET_BUFFER_LIST nbl : nbls) NdisFreeNetBufferList(nbl);
}

TEST(PoolKinds, KindC_NblNbMdlAndData_POOL04_POOL05)
{
    for (ULONG size : {1u, 60u, 1514u, 4096u, 9018u, 65536u}) CheckKindC(size);
}

TEST(PoolKinds, DefaultProtocolIdAndOwnerHandleAreKept_POOL01_POOL03)
{
    // ProtocolId and the owner handle are opaque to the data path: any value is accepted.
    NET_BUFFER_LIST_POOL_PARAMETERS p = NblParams(TRUE, 0);
    p.ProtocolId = 0x02; // NDIS_PROTOCOL_ID_TCP_IP
    int owner = 0;
    NblPool pool(p, &owner);
    ASSERT_NE(pool.get(), nullptr);
    PNET_BUFFER_LIST nbl = NdisAllocateNetBufferList(pool.get(), 0, 0);
    ASSERT_NE(nbl, nullptr);
    EXPECT_EQ(NdisGetPoolFromNetBufferList(nbl), pool.get());
    NdisFreeNetBufferList(nbl);
}

// ============================== POOL-05: contexts given at allocation =========================

bool Aligned16(const void *p)
{
    return reinterpret_cast<std::uintptr_t>(p) % MEMORY_ALLOCATION_ALIGNMENT == 0;
}

TEST(PoolContexts, PreallocatedContextUsedWhenItFits_POOL05_DS13)
{
    for (BOOLEAN with_nb : {BOOLEAN{FALSE}, BOOLEAN{TRUE}}) {
        SCOPED_TRACE(int(with_nb));
        NblPool pool(NblParams(with_nb, with_nb ? 256 : 0, 64));
        ASSERT_NE(pool.get(), nullptr);
        const OPENNDIS_STATS before = Stats();
        struct Case {
            USHORT ctx, backfill;
        } cases[] = {{16, 0}, {16, 16}, {64, 0}, {0, 16}, {32, 32}, {48, 16}};
        for (const Case &c : cases) {
            SCOPED_TRACE(testing::Message() << "ctx " << c.ctx << " backfill " << c.backfill);
            PNET_BUFFER_LIST nbl = NdisAllocateNetBufferList(pool.get(), c.ctx, c.backfill);
            ASSERT_NE(nbl, nullptr);
            PNET_BUFFER_LIST_CONTEXT ctx = nbl->Context;
            ASSERT_NE(ctx, nullptr);
            EXPECT_EQ(ctx->Next, nullptr);
            EXPECT_EQ(ctx->Size, 64);
            EXPECT_EQ(ctx->Offset, 64 - c.ctx);
            EXPECT_EQ(NET_BUFFER_LIST_CONTEXT_DATA_SIZE(nbl), 64);
            EXPECT_EQ(NET_BUFFER_LIST_CONTEXT_DATA_START(nbl), ctx->ContextData + (64 - c.ctx));
            EXPECT_TRUE(Aligned16(NET_BUFFER_LIST_CONTEXT_DATA_START(nbl)));
            EXPECT_TRUE(Aligned16(ctx->ContextData));
            EXPECT_EQ(Stats().NblContexts, before.NblContexts); // no extra block
            // The whole block is writable and overlaps neither the NBL, NB, MDL nor data.
            PNET_BUFFER nb = nbl->FirstNetBuffer;
            unsigned char *data = nullptr;
            if (nb != nullptr) {
                data = static_cast<unsigned char *>(
                    MmGetSystemAddressForMdlSafe(nb->MdlChain, NormalPagePriority));
                std::memset(data, 0xAA, nb->DataLength);
            }
            std::memset(ctx->ContextData, 0x55, ctx->Size);
            EXPECT_EQ(ctx->Size, 64);
            EXPECT_EQ(nbl->NdisPoolHandle, pool.get());
            if (nb != nullptr) {
                EXPECT_EQ(nb->DataLength, 256u);
                EXPECT_EQ(nb->MdlChain->ByteCount, 256u);
                for (ULONG i = 0; i < 256; ++i) {
                    if (data[i] != 0xAA) {
                        ADD_FAILURE() << "context write reached data byte " << i;
                        break;
                    }
                }
            }
            NdisFreeNetBufferList(nbl);
        }
    }
}

TEST(PoolContexts, ExternalBlockWhenPreallocatedIsTooSmall_POOL05_DS13)
{
    NblPool pool(NblParams(TRUE, 100, 32));
    NblPool nopre(NblParams(FALSE, 0, 0));
    ASSERT_NE(pool.get(), nullptr);
    ASSERT_NE(nopre.get(), nullptr);
    const OPENNDIS_STATS before = Stats();
    struct Case {
        NDIS_HANDLE pool;
        USHORT ctx, backfill;
    } cases[] = {{pool.get(), 48, 0},  {pool.get(), 32, 16}, {pool.get(), 0, 48},
                 {nopre.get(), 16, 0}, {nopre.get(), 0, 16}, {nopre.get(), 256, 512}};
    for (const Case &c : cases) {
        SCOPED_TRACE(testing::Message() << "ctx " << c.ctx << " backfill " << c.backfill);
        PNET_BUFFER_LIST nbl = NdisAllocateNetBufferList(c.pool, c.ctx, c.backfill);
        ASSERT_NE(nbl, nullptr);
        PNET_BUFFER_LIST_CONTEXT ctx = nbl->Context;
        ASSERT_NE(ctx, nullptr);
        EXPECT_EQ(ctx->Next, nullptr);
        EXPECT_EQ(ctx->Size, c.ctx + c.backfill);
        EXPECT_EQ(ctx->Offset, c.backfill);
        EXPECT_EQ(NET_BUFFER_LIST_CONTEXT_DATA_START(nbl), ctx->ContextData + c.backfill);
        EXPECT_TRUE(Aligned16(NET_BUFFER_LIST_CONTEXT_DATA_START(nbl)));
        std::memset(ctx->ContextData, 0x5A, ctx->Size); // whole block writable
        NdisFreeNetBufferList(nbl);                       // frees the external block too
        EXPECT_EQ(Stats().NblContexts, before.NblContexts);
        EXPECT_EQ(Stats().MemoryBlocks, before.MemoryBlocks);
    }
}

TEST(PoolContexts, NoContextWhenNothingAsked_POOL05)
{
    NblPool pool(NblParams(TRUE, 0, 32));
    ASSERT_NE(pool.get(), nullptr);
    PNET_BUFFER_LIST nbl = NdisAllocateNetBufferList(pool.get(), 0, 0);
    ASSERT_NE(nbl, nullptr);
    EXPECT_EQ(nbl->Context, nullptr);
    NdisFreeNetBufferList(nbl);
}

TEST(PoolContexts, UnalignedContextAmountsAreReported_POOL05)
{
    NblPool pool(NblParams(TRUE, 0, 64));
    ASSERT_NE(pool.get(), nullptr);
    struct Case {
        USHORT ctx, backfill;
    } cases[] = {{8, 0}, {0, 8}, {17, 0}, {16, 4}, {1, 1}};
    for (const Case &c : cases) {
        SCOPED_TRACE(testing::Message() << "ctx " << c.ctx << " backfill " << c.backfill);
        VerifierCapture cap;
        PNET_BUFFER_LIST nbl = NdisAllocateNetBufferList(pool.get(), c.ctx, c.backfill);
        EXPECT_EQ(nbl, nullptr);
        if (nbl != nullptr) NdisFreeNetBufferList(nbl);
        EXPECT_VERIFIER_REPORTS(cap, "POOL-05");
    }
    VerifierCapture cap;
    EXPECT_EQ(NdisAllocateNetBufferAndNetBufferList(pool.get(), 8, 0, nullptr, 0, 0), nullptr);
    EXPECT_VERIFIER_REPORTS(cap, "POOL-05");
    EXPECT_EQ(Live().Nbls, 0u);
}

TEST(PoolContexts, ContextLargerThanUshortIsRefused_POOL05_DS13)
{
    // ctx and backfill are USHORTs, but NET_BUFFER_LIST_CONTEXT.Size is one USHORT too: a
    // block of ctx + backfill > 0xFFFF bytes cannot be described, so the allocation must fail
    // (NdisAllocateNetBufferListContext refuses such amounts with NDIS_STATUS_RESOURCES).
    NblPool pool(NblParams(FALSE, 0, 0));
    ASSERT_NE(pool.get(), nullptr);
    const OPENNDIS_STATS before = Stats();
    PNET_BUFFER_LIST nbl = NdisAllocateNetBufferList(pool.get(), 0xFFF0, 0x0020);
    if (nbl != nullptr) {
        ASSERT_NE(nbl->Context, nullptr);
        ADD_FAILURE() << "NBL allocated with an undescribable context: Size " << nbl->Context->Size
                      << ", Offset " << nbl->Context->Offset << " (wanted ctx 0xFFF0 + backfill 0x20)";
        EXPECT_GE(nbl->Context->Size, nbl->Context->Offset); // DS-13: Offset is a prefix of Size
        NdisFreeNetBufferList(nbl);
    }
    EXPECT_EQ(Stats().NblContexts, before.NblContexts);

    // The largest describable request works: Size = ctx + backfill, Offset = backfill.
    nbl = NdisAllocateNetBufferList(pool.get(), 0xFF00, 0x00F0);
    ASSERT_NE(nbl, nullptr);
    ASSERT_NE(nbl->Context, nullptr);
    EXPECT_EQ(nbl->Context->Size, 0xFFF0);
    EXPECT_EQ(nbl->Context->Offset, 0x00F0);
    std::memset(NET_BUFFER_LIST_CONTEXT_DATA_START(nbl), 0, 0xFF00);
    // Likewise NdisAllocateNetBufferListContext refuses what a block cannot describe.
    PNET_BUFFER_LIST_CONTEXT top = nbl->Context;
    EXPECT_EQ(NdisAllocateNetBufferListContext(nbl, 0xFFF8, 0x10, kCtxTag), NDIS_STATUS_RESOURCES);
    EXPECT_EQ(nbl->Context, top);
    NdisFreeNetBufferList(nbl);
    EXPECT_EQ(Stats().NblContexts, before.NblContexts);
}

// ============================== POOL-06: NdisAllocateNetBufferAndNetBufferList =================

TEST(PoolNbAndNbl, OnlyOnKindBPools_POOL06)
{
    NblPool a(NblParams(FALSE, 0));
    NblPool c(NblParams(TRUE, 128));
    ASSERT_NE(a.get(), nullptr);
    ASSERT_NE(c.get(), nullptr);
    unsigned char buf[64];
    PMDL mdl = NdisAllocateMdl(nullptr, buf, sizeof buf);
    ASSERT_NE(mdl, nullptr);
    VerifierCapture cap;
    EXPECT_EQ(NdisAllocateNetBufferAndNetBufferList(a.get(), 0, 0, nullptr, 0, 0), nullptr);
    EXPECT_EQ(NdisAllocateNetBufferAndNetBufferList(c.get(), 0, 0, nullptr, 0, 0), nullptr);
    EXPECT_EQ(NdisAllocateNetBufferAndNetBufferList(c.get(), 0, 0, mdl, 0, 64), nullptr);
    EXPECT_VERIFIER_REPORTS(cap, "POOL-06", "POOL-06", "POOL-06");
    EXPECT_EQ(Live().Nbls, 0u);
    NdisFreeMdl(mdl);
}

TEST(PoolNbAndNbl, NullMdlMeansEmptyNb_POOL06)
{
    NblPool pool(NblParams(TRUE, 0, 16));
    ASSERT_NE(pool.get(), nullptr);
    PNET_BUFFER_LIST nbl = NdisAllocateNetBufferAndNetBufferList(pool.get(), 16, 0, nullptr, 0, 0);
    ASSERT_NE(nbl, nullptr);
    ExpectFreshNblFields(nbl, pool.get());
    ASSERT_NE(nbl->Context, nullptr); // POOL-05 applies here too
    EXPECT_EQ(nbl->Context->Offset, 0);
    PNET_BUFFER nb = nbl->FirstNetBuffer;
    ASSERT_NE(nb, nullptr);
    ExpectFreshNbHeaderFields(nb, pool.get());
    EXPECT_EQ(nb->MdlChain, nullptr);
    EXPECT_EQ(nb->CurrentMdl, nullptr);
    EXPECT_EQ(nb->DataLength, 0u);
    EXPECT_EQ(nb->DataOffset, 0u);
    NdisFreeNetBufferList(nbl);

    // MdlChain NULL with a non-zero offset or length: reported, NULL returned.
    VerifierCapture cap;
    EXPECT_EQ(NdisAllocateNetBufferAndNetBufferList(pool.get(), 0, 0, nullptr, 4, 0), nullptr);
    EXPECT_EQ(NdisAllocateNetBufferAndNetBufferList(pool.get(), 0, 0, nullptr, 0, 4), nullptr);
    EXPECT_VERIFIER_REPORTS(cap, "POOL-06", "POOL-06");
    EXPECT_EQ(Live().Nbls, 0u);
}

TEST(PoolNbAndNbl, NbDescribesTheGivenWindow_POOL06_DS02_DS04)
{
    NblPool pool(NblParams(TRUE, 0));
    ASSERT_NE(pool.get(), nullptr);
    unsigned char b1[100], b2[200];
    PMDL m1 = NdisAllocateMdl(nullptr, b1, sizeof b1);
    PMDL m2 = NdisAllocateMdl(nullptr, b2, sizeof b2);
    ASSERT_NE(m1, nullptr);
    ASSERT_NE(m2, nullptr);
    NDIS_MDL_LINKAGE(m1) = m2;

    struct Case {
        ULONG off;
        SIZE_T len;
        PMDL cur;
        ULONG cur_off;
    } cases[] = {{0, 300, m1, 0},   {150, 100, m2, 50}, {99, 2, m1, 99},
                 {100, 200, m2, 0}, {300, 0, m2, 200},  {0, 0, m1, 0}};
    for (const Case &c : cases) {
        SCOPED_TRACE(testing::Message() << "offset " << c.off << " length " << c.len);
        PNET_BUFFER_LIST nbl =
            NdisAllocateNetBufferAndNetBufferList(pool.get(), 0, 0, m1, c.off, c.len);
        ASSERT_NE(nbl, nullptr);
        PNET_BUFFER nb = nbl->FirstNetBuffer;
        ASSERT_NE(nb, nullptr);
        EXPECT_EQ(nb->MdlChain, m1);
        EXPECT_EQ(nb->DataOffset, c.off);
        EXPECT_EQ(nb->DataLength, c.len);
        EXPECT_EQ(nb->CurrentMdl, c.cur);
        EXPECT_EQ(nb->CurrentMdlOffset, c.cur_off);
        EXPECT_EQ(nb->Next, nullptr);
        NdisFreeNetBufferList(nbl); // never frees the caller's MDLs (POOL-08)
        EXPECT_EQ(m1->Next, m2);
        EXPECT_EQ(m1->ByteCount, 100u);
    }

    // A window beyond the chain is reported (DS-03) and nothing is allocated.
    VerifierCapture cap;
    EXPECT_EQ(NdisAllocateNetBufferAndNetBufferList(pool.get(), 0, 0, m1, 250, 51), nullptr);
    EXPECT_EQ(NdisAllocateNetBufferAndNetBufferList(pool.get(), 0, 0, m1, 0, 301), nullptr);
    EXPECT_EQ(NdisAllocateNetBufferAndNetBufferList(pool.get(), 0, 0, m1, 301, 0), nullptr);
    EXPECT_EQ(NdisAllocateNetBufferAndNetBufferList(pool.get(), 0, 0, m1, 0,
                                                    SIZE_T{MAXULONG} + 1),
              nullptr); // DS-07: DataLength is a ULONG
    EXPECT_VERIFIER_REPORTS(cap, "DS-03", "DS-03", "DS-03", "DS-03");
    EXPECT_EQ(Live().Nbls, 0u);

    NdisFreeMdl(m1);
    NdisFreeMdl(m2);
}

// ============================== POOL-07 / POOL-08 / POOL-09 ====================================

TEST(PoolIdentity, PoolFromNblAndNb_POOL07)
{
    NblPool p1(NblParams(TRUE, 0));
    NblPool p2(NblParams(TRUE, 64));
    NbPool nbp(NbParams(0));
    ASSERT_NE(p1.get(), nullptr);
    ASSERT_NE(p2.get(), nullptr);
    ASSERT_NE(nbp.get(), nullptr);
    EXPECT_NE(p1.get(), p2.get());
    PNET_BUFFER_LIST a = NdisAllocateNetBufferList(p1.get(), 0, 0);
    PNET_BUFFER_LIST b = NdisAllocateNetBufferList(p2.get(), 0, 0);
    PNET_BUFFER nb = NdisAllocateNetBuffer(nbp.get(), nullptr, 0, 0);
    ASSERT_NE(a, nullptr);
    ASSERT_NE(b, nullptr);
    ASSERT_NE(nb, nullptr);
    EXPECT_EQ(NdisGetPoolFromNetBufferList(a), p1.get());
    EXPECT_EQ(NdisGetPoolFromNetBufferList(b), p2.get());
    EXPECT_EQ(NdisGetPoolFromNetBuffer(a->FirstNetBuffer), p1.get());
    EXPECT_EQ(NdisGetPoolFromNetBuffer(b->FirstNetBuffer), p2.get());
    EXPECT_EQ(NdisGetPoolFromNetBuffer(nb), nbp.get());
    EXPECT_EQ(nb->NdisPoolHandle, nbp.get());
    NdisFreeNetBuffer(nb);
    NdisFreeNetBufferList(a);
    NdisFreeNetBufferList(b);
}

TEST(PoolOwnership, SeparateNbOnKindANblIsNotFreedWithIt_POOL08)
{
    NblPool pool(NblParams(FALSE, 0));
    NbPool nbpool(NbParams(512));
    ASSERT_NE(pool.get(), nullptr);
    ASSERT_NE(nbpool.get(), nullptr);
    const OPENNDIS_STATS before = Stats();

    PNET_BUFFER_LIST nbl = NdisAllocateNetBufferList(pool.get(), 0, 0);
    PNET_BUFFER nb = NdisAllocateNetBufferMdlAndData(nbpool.get());
    ASSERT_NE(nbl, nullptr);
    ASSERT_NE(nb, nullptr);
    nbl->FirstNetBuffer = nb;
    std::memset(MmGetSystemAddressForMdlSafe(nb->MdlChain, NormalPagePriority), 0x11, 512);

    NdisFreeNetBufferList(nbl); // the NB stays the caller's
    EXPECT_EQ(Stats().Nbls, before.Nbls);
    EXPECT_EQ(Stats().Nbs, before.Nbs + 1);
    // The NB is still live and intact: its data is readable and it frees without a report.
    EXPECT_EQ(nb->DataLength, 512u);
    EXPECT_EQ(static_cast<unsigned char *>(
                  MmGetSystemAddressForMdlSafe(nb->MdlChain, NormalPagePriority))[511],
              0x11);
    NdisFreeNetBuffer(nb);
    EXPECT_EQ(Stats().Nbs, before.Nbs);
}

TEST(PoolOwnership, SeparateNbChainedAfterPreallocatedNbIsNotFreed_POOL08)
{
    NblPool pool(NblParams(TRUE, 64));
    NbPool nbpool(NbParams(0));
    ASSERT_NE(pool.get(), nullptr);
    ASSERT_NE(nbpool.get(), nullptr);
    PNET_BUFFER_LIST nbl = NdisAllocateNetBufferList(pool.get(), 0, 0);
    ASSERT_NE(nbl, nullptr);
    PNET_BUFFER extra = NdisAllocateNetBuffer(nbpool.get(), nullptr, 0, 0);
    ASSERT_NE(extra, nullptr);
    nbl->FirstNetBuffer->Next = extra;
    // Preferred order (free the separate NB first) and the other order both work.
    NdisFreeNetBufferList(nbl);
    EXPECT_EQ(Live().Nbs, 1u);
    NdisFreeNetBuffer(extra);
    EXPECT_EQ(Live().Nbs, 0u);
}

TEST(PoolOwnership, DoubleFreeOfNblIsReported_POOL08)
{
    NblPool pool(NblParams(TRUE, 64, 16));
    ASSERT_NE(pool.get(), nullptr);
    PNET_BUFFER_LIST nbl = NdisAllocateNetBufferList(pool.get(), 16, 0);
    ASSERT_NE(nbl, nullptr);
    NdisFreeNetBufferList(nbl);
    VerifierCapture cap;
    NdisFreeNetBufferList(nbl);
    EXPECT_VERIFIER_REPORTS(cap, "POOL-08");
    // The pool is not corrupted: the element is handed out once, not twice.
    PNET_BUFFER_LIST x = NdisAllocateNetBufferList(pool.get(), 16, 0);
    PNET_BUFFER_LIST y = NdisAllocateNetBufferList(pool.get(), 16, 0);
    ASSERT_NE(x, nullptr);
    ASSERT_NE(y, nullptr);
    EXPECT_NE(x, y);
    NdisFreeNetBufferList(x);
    NdisFreeNetBufferList(y);
}

TEST(PoolOwnership, PreallocatedNbAndMdlMustNotBeFreedAlone_POOL09)
{
    NblPool b(NblParams(TRUE, 0));
    NblPool c(NblParams(TRUE, 256));
    NbPool nbdata(NbParams(128));
    ASSERT_NE(b.get(), nullptr);
    ASSERT_NE(c.get(), nullptr);
    ASSERT_NE(nbdata.get(), nullptr);
    PNET_BUFFER_LIST nb_b = NdisAllocateNetBufferList(b.get(), 0, 0);
    PNET_BUFFER_LIST nb_c = NdisAllocateNetBufferList(c.get(), 0, 0);
    PNET_BUFFER nb_d = NdisAllocateNetBufferMdlAndData(nbdata.get());
    ASSERT_NE(nb_b, nullptr);
    ASSERT_NE(nb_c, nullptr);
    ASSERT_NE(nb_d, nullptr);
    const OPENNDIS_STATS before = Stats();
    {
        VerifierCapture cap;
        NdisFreeNetBuffer(nb_b->FirstNetBuffer);
        NdisFreeNetBuffer(nb_c->FirstNetBuffer);
        NdisFreeMdl(nb_c->FirstNetBuffer->MdlChain);
        IoFreeMdl(nb_c->FirstNetBuffer->MdlChain);
        NdisFreeMdl(nb_d->MdlChain);
        EXPECT_VERIFIER_REPORTS(cap, "POOL-09", "POOL-09", "POOL-09", "POOL-09", "POOL-09");
    }
    // Nothing was freed: everything is still usable and is freed with its owner.
    const OPENNDIS_STATS after = Stats();
    EXPECT_EQ(after.Nbls, before.Nbls);
    EXPECT_EQ(after.Nbs, before.Nbs);
    EXPECT_EQ(after.Mdls, before.Mdls);
    EXPECT_EQ(nb_c->FirstNetBuffer->DataLength, 256u);
    std::memset(MmGetSystemAddressForMdlSafe(nb_c->FirstNetBuffer->MdlChain, NormalPagePriority),
                0, 256);
    std::memset(MmGetSystemAddressForMdlSafe(nb_d->MdlChain, NormalPagePriority), 0, 128);
    // The next allocation does not hand out the "freed" preallocated NB again.
    PNET_BUFFER_LIST other = NdisAllocateNetBufferList(b.get(), 0, 0);
    ASSERT_NE(other, nullptr);
    EXPECT_NE(other->FirstNetBuffer, nb_b->FirstNetBuffer);
    NdisFreeNetBufferList(other);
    NdisFreeNetBufferList(nb_b);
    NdisFreeNetBufferList(nb_c);
    NdisFreeNetBuffer(nb_d);
}

// ============================== POOL-10: pools freed with objects out =========================

TEST(PoolDestroy, NblPoolFreedWithObjectsOutLivesOn_POOL10)
{
    const OPENNDIS_STATS before = Stats();
    NDIS_HANDLE pool;
    {
        NET_BUFFER_LIST_POOL_PARAMETERS p = NblParams(TRUE, 128, 16);
        pool = NdisAllocateNetBufferListPool(nullptr, &p);
    }
    ASSERT_NE(pool, nullptr);
    PNET_BUFFER_LIST nbls[3];
    for (auto &n : nbls) {
        n = NdisAllocateNetBufferList(pool, 16, 32); // external context block too
        ASSERT_NE(n, nullptr);
    }
    EXPECT_EQ(Stats().NblPools, before.NblPools + 1);
    {
        VerifierCapture cap;
        NdisFreeNetBufferListPool(pool);
        EXPECT_VERIFIER_REPORTS(cap, "POOL-10", "POOL-10", "POOL-10");
        // Each report names the NBL still out.
        std::string all;
        for (const std::string &m : cap.messages()) all += m + "\n";
        for (PNET_BUFFER_LIST n : nbls) EXPECT_NE(all.find(PtrString(n)), std::string::npos) << all;
    }
    // The pool lives on (and is still counted) while its objects are out; they stay usable.
    EXPECT_EQ(Stats().NblPools, before.NblPools + 1);
    EXPECT_EQ(Stats().Nbls, before.Nbls + 3);
    for (PNET_BUFFER_LIST n : nbls) {
        EXPECT_EQ(n->NdisPoolHandle, pool);
        std::memset(MmGetSystemAddressForMdlSafe(n->FirstNetBuffer->MdlChain, NormalPagePriority),
                    0x77, 128);
        std::memset(NET_BUFFER_LIST_CONTEXT_DATA_START(n), 0x66, 16);
    }
    {
        // No new allocations from a freed pool (POOL-03: not a live pool handle).
        VerifierCapture cap;
        EXPECT_EQ(NdisAllocateNetBufferList(pool, 0, 0), nullptr);
        EXPECT_VERIFIER_REPORTS(cap, "POOL-03");
    }
    NdisFreeNetBufferList(nbls[0]);
    NdisFreeNetBufferList(nbls[1]);
    EXPECT_EQ(Stats().NblPools, before.NblPools + 1);
    EXPECT_EQ(Stats().Nbls, before.Nbls + 1);
    NdisFreeNetBufferList(nbls[2]); // the last one: the pool goes away now
    const OPENNDIS_STATS after = Stats();
    EXPECT_EQ(after.NblPools, before.NblPools);
    EXPECT_EQ(after.Nbls, before.Nbls);
    EXPECT_EQ(after.NblContexts, before.NblContexts);
    EXPECT_EQ(after.MemoryBlocks, before.MemoryBlocks);
}

TEST(PoolDestroy, NbPoolFreedWithObjectsOutLivesOn_POOL10_POOL11)
{
    const OPENNDIS_STATS before = Stats();
    NET_BUFFER_POOL_PARAMETERS p = NbParams(64);
    NDIS_HANDLE pool = NdisAllocateNetBufferPool(nullptr, &p);
    ASSERT_NE(pool, nullptr);
    PNET_BUFFER a = NdisAllocateNetBufferMdlAndData(pool);
    PNET_BUFFER b = NdisAllocateNetBufferMdlAndData(pool);
    ASSERT_NE(a, nullptr);
    ASSERT_NE(b, nullptr);
    {
        VerifierCapture cap;
        NdisFreeNetBufferPool(pool);
        EXPECT_VERIFIER_REPORTS(cap, "POOL-10", "POOL-10");
    }
    EXPECT_EQ(Stats().NbPools, before.NbPools + 1);
    EXPECT_EQ(Stats().Nbs, before.Nbs + 2);
    std::memset(MmGetSystemAddressForMdlSafe(a->MdlChain, NormalPagePriority), 1, 64);
    NdisFreeNetBuffer(a);
    EXPECT_EQ(Stats().NbPools, before.NbPools + 1);
    NdisFreeNetBuffer(b);
    EXPECT_EQ(Stats().NbPools, before.NbPools);
    EXPECT_EQ(Stats().Nbs, before.Nbs);
}

TEST(PoolDestroy, EmptyPoolIsFreedAtOnce_POOL10)
{
    const OPENNDIS_STATS before = Stats();
    NET_BUFFER_LIST_POOL_PARAMETERS p = NblParams(TRUE, 64);
    NDIS_HANDLE pool = NdisAllocateNetBufferListPool(nullptr, &p);
    ASSERT_NE(pool, nullptr);
    // Use it (so magazines exist), give everything back, then free the pool.
    std::vector<PNET_BUFFER_LIST> v;
    for (int i = 0; i < 200; ++i) v.push_back(NdisAllocateNetBufferList(pool, 0, 0));
    for (PNET_BUFFER_LIST n : v) NdisFreeNetBufferList(n);
    VerifierCapture cap;
    NdisFreeNetBufferListPool(pool);
    EXPECT_VERIFIER_REPORTS(cap);
    EXPECT_EQ(Stats().NblPools, before.NblPools);
}

// ============================== POOL-11: NB pools ==============================================

TEST(NbPools, DataSizeZeroPool_POOL11_DS04)
{
    NbPool pool(NbParams(0));
    ASSERT_NE(pool.get(), nullptr);
    PNET_BUFFER nb = NdisAllocateNetBuffer(pool.get(), nullptr, 0, 0);
    ASSERT_NE(nb, nullptr);
    ExpectFreshNbHeaderFields(nb, pool.get());
    EXPECT_EQ(nb->MdlChain, nullptr);
    EXPECT_EQ(nb->CurrentMdl, nullptr);
    EXPECT_EQ(nb->DataLength, 0u);
    EXPECT_EQ(Live().Nbs, 1u);

    unsigned char b1[40], b2[60];
    PMDL m1 = NdisAllocateMdl(nullptr, b1, sizeof b1);
    PMDL m2 = NdisAllocateMdl(nullptr, b2, sizeof b2);
    ASSERT_NE(m1, nullptr);
    ASSERT_NE(m2, nullptr);
    m1->Next = m2;
    PNET_BUFFER nb2 = NdisAllocateNetBuffer(pool.get(), m1, 50, 30);
    ASSERT_NE(nb2, nullptr);
    EXPECT_EQ(nb2->MdlChain, m1);
    EXPECT_EQ(nb2->DataOffset, 50u);
    EXPECT_EQ(nb2->DataLength, 30u);
    EXPECT_EQ(nb2->CurrentMdl, m2);
    EXPECT_EQ(nb2->CurrentMdlOffset, 10u);
    EXPECT_EQ(nb2->NdisPoolHandle, pool.get());

    VerifierCapture cap;
    EXPECT_EQ(NdisAllocateNetBufferMdlAndData(pool.get()), nullptr);   // DataSize 0 pool
    EXPECT_EQ(NdisAllocateNetBuffer(pool.get(), m1, 90, 11), nullptr); // beyond the chain
    EXPECT_EQ(NdisAllocateNetBuffer(pool.get(), nullptr, 1, 0), nullptr);
    EXPECT_EQ(NdisAllocateNetBuffer(pool.get(), nullptr, 0, 1), nullptr);
    const std::vector<std::string> ids = cap.spec_ids();
    ASSERT_EQ(ids.size(), 4u);
    EXPECT_EQ(ids[0], "POOL-11");
    EXPECT_EQ(ids[1], "DS-03");
    // MdlChain NULL ⇒ offset = length = 0 (POOL-11 repeats the POOL-06 rule).
    EXPECT_TRUE(ids[2] == "POOL-11" || ids[2] == "POOL-06") << ids[2];
    EXPECT_TRUE(ids[3] == "POOL-11" || ids[3] == "POOL-06") << ids[3];
    EXPECT_EQ(Live().Nbs, 2u);

    NdisFreeNetBuffer(nb2); // never frees the caller's MDLs
    EXPECT_EQ(m1->Next, m2);
    EXPECT_EQ(Live().Mdls, 2u);
    NdisFreeNetBuffer(nb);
    NdisFreeMdl(m1);
    NdisFreeMdl(m2);
}

TEST(NbPools, DataCarryingPool_POOL11)
{
    NbPool pool(NbParams(1514));
    ASSERT_NE(pool.get(), nullptr);
    const OPENNDIS_STATS before = Stats();
    PNET_BUFFER a = NdisAllocateNetBufferMdlAndData(pool.get());
    PNET_BUFFER b = NdisAllocateNetBufferMdlAndData(pool.get());
    ASSERT_NE(a, nullptr);
    ASSERT_NE(b, nullptr);
    for (PNET_BUFFER nb : {a, b}) {
        ExpectFreshNbHeaderFields(nb, pool.get());
        ASSERT_NE(nb->MdlChain, nullptr);
        EXPECT_EQ(nb->CurrentMdl, nb->MdlChain);
        EXPECT_EQ(nb->MdlChain->Next, nullptr);
        EXPECT_EQ(nb->DataLength, 1514u);
        EXPECT_EQ(nb->DataOffset, 0u);
        EXPECT_EQ(MmGetMdlByteCount(nb->MdlChain), 1514u);
    }
    std::memset(MmGetSystemAddressForMdlSafe(a->MdlChain, NormalPagePriority), 0xA1, 1514);
    std::memset(MmGetSystemAddressForMdlSafe(b->MdlChain, NormalPagePriority), 0xB2, 1514);
    EXPECT_EQ(static_cast<unsigned char *>(
                  MmGetSystemAddressForMdlSafe(a->MdlChain, NormalPagePriority))[1513],
              0xA1);
    EXPECT_EQ(Stats().Nbs, before.Nbs + 2);
    EXPECT_EQ(Stats().Mdls, before.Mdls); // the preallocated MDL is part of the NB

    {
        VerifierCapture cap;
        EXPECT_EQ(NdisAllocateNetBuffer(pool.get(), nullptr, 0, 0), nullptr); // data pool
        EXPECT_VERIFIER_REPORTS(cap, "POOL-11");
    }
    NdisFreeNetBuffer(a); // frees NB + MDL + data
    NdisFreeNetBuffer(b);
    EXPECT_EQ(Stats().Nbs, before.Nbs);
    {
        VerifierCapture cap;
        NdisFreeNetBuffer(a); // double free
        EXPECT_VERIFIER_REPORTS(cap, "POOL-11");
    }
}

// ============================== DS-21 / DS-24: recycled objects are re-initialised =============

void DirtyNbl(PNET_BUFFER_LIST nbl)
{
    auto junk = [](ULONG_PTR v) { return reinterpret_cast<PVOID>(v); };
    nbl->Next = static_cast<PNET_BUFFER_LIST>(junk(0xBAD0));
    nbl->ParentNetBufferList = static_cast<PNET_BUFFER_LIST>(junk(0xBAD1));
    nbl->NdisReserved[0] = nbl->NdisReserved[1] = junk(0xBAD2);
    for (auto &r : nbl->ProtocolReserved) r = junk(0xBAD3);
    for (auto &r : nbl->MiniportReserved) r = junk(0xBAD4);
    nbl->Scratch = junk(0xBAD5);
    nbl->SourceHandle = junk(0xBAD6);
    nbl->NblFlags = 0xFFFFFFFFu;
    nbl->ChildRefCount = 0; // non-zero at free is a POOL-16 report; the next owner sets it
    nbl->Flags = 0xFFFFFFFFu;
    nbl->Status = NDIS_STATUS_FAILURE;
    for (auto &i : nbl->NetBufferListInfo) i = junk(0xBAD7);
}

void DirtyNb(PNET_BUFFER nb)
{
    auto junk = [](ULONG_PTR v) { return reinterpret_cast<PVOID>(v); };
    nb->Next = static_cast<PNET_BUFFER>(junk(0xBEE0));
    nb->CurrentMdl = static_cast<PMDL>(junk(0xBEE1));
    nb->CurrentMdlOffset = 7;
    nb->stDataLength = 0xFFFFFFFFFFull;
    nb->MdlChain = static_cast<PMDL>(junk(0xBEE2));
    nb->DataOffset = 9;
    nb->ChecksumBias = 3;
    nb->Reserved = 4;
    nb->NdisReserved[0] = nb->NdisReserved[1] = junk(0xBEE3);
    for (auto &r : nb->ProtocolReserved) r = junk(0xBEE4);
    for (auto &r : nb->MiniportReserved) r = junk(0xBEE5);
    nb->DataPhysicalAddress.QuadPart = 0x123456789;
    nb->SharedMemoryInfo = static_cast<PNET_BUFFER_SHARED_MEMORY>(junk(0xBEE6));
}

void DirtyMdl(PMDL mdl)
{
    mdl->Next = reinterpret_cast<PMDL>(0xCAFE0);
    mdl->Size = 1;
    mdl->MdlFlags = 0x7FFF;
    mdl->Process = reinterpret_cast<PEPROCESS>(0xCAFE1);
    mdl->MappedSystemVa = reinterpret_cast<PVOID>(0xCAFE2);
    mdl->StartVa = reinterpret_cast<PVOID>(0xCAFE3);
    mdl->ByteCount = 1;
    mdl->ByteOffset = 2;
}

TEST(PoolReuse, RecycledNblNbMdlAreFullyReinitialised_DS24_DS21_POOL04)
{
    NblPool pool(NblParams(TRUE, 300, 32));
    ASSERT_NE(pool.get(), nullptr);
    PNET_BUFFER_LIST nbl = NdisAllocateNetBufferList(pool.get(), 16, 0);
    ASSERT_NE(nbl, nullptr);
    PNET_BUFFER nb = nbl->FirstNetBuffer;
    PMDL mdl = nb->MdlChain;
    void *const data = MmGetSystemAddressForMdlSafe(mdl, NormalPagePriority);
    std::memset(nbl->Context->ContextData, 0xEE, nbl->Context->Size);
    DirtyNbl(nbl);
    DirtyNb(nb);
    DirtyMdl(mdl);
    NdisFreeNetBufferList(nbl);

    // The per-thread cache hands the same element back at once (non-verify pool).
    PNET_BUFFER_LIST again = NdisAllocateNetBufferList(pool.get(), 0, 0);
    ASSERT_NE(again, nullptr);
    ASSERT_EQ(again, nbl) << "test premise: the freed NBL is reused by the next allocation";
    ExpectFreshNblFields(again, pool.get());
    EXPECT_TRUE(AllZero(again->NdisReserved, sizeof again->NdisReserved));
    EXPECT_EQ(again->Context, nullptr); // this time no context was asked for
    ASSERT_EQ(again->FirstNetBuffer, nb);
    ExpectFreshNbHeaderFields(nb, pool.get());
    EXPECT_TRUE(AllZero(nb->NdisReserved, sizeof nb->NdisReserved));
    EXPECT_EQ(nb->Reserved, 0);
    EXPECT_EQ(nb->MdlChain, mdl);
    EXPECT_EQ(nb->CurrentMdl, mdl);
    EXPECT_EQ(nb->stDataLength, 300u); // upper half of the SIZE_T alias cleared too
    EXPECT_EQ(mdl->Next, nullptr);
    EXPECT_EQ(mdl->ByteCount, 300u);
    EXPECT_EQ(mdl->Process, nullptr);
    EXPECT_EQ(MmGetSystemAddressForMdlSafe(mdl, NormalPagePriority), data);
    EXPECT_EQ(MmGetMdlVirtualAddress(mdl), data);
    EXPECT_EQ(MmGetMdlBaseVa(mdl), PAGE_ALIGN(data));
    EXPECT_EQ(MmGetMdlByteOffset(mdl), BYTE_OFFSET(data));
    NdisFreeNetBufferList(again);

    // And with a context again: Size/Offset rebuilt from scratch.
    PNET_BUFFER_LIST third = NdisAllocateNetBufferList(pool.get(), 32, 0);
    ASSERT_EQ(third, nbl);
    ASSERT_NE(third->Context, nullptr);
    EXPECT_EQ(third->Context->Next, nullptr);
    EXPECT_EQ(third->Context->Size, 32);
    EXPECT_EQ(third->Context->Offset, 0);
    DirtyNbl(third);
    NdisFreeNetBufferList(third);
}

TEST(PoolReuse, RecycledKindANblAndPoolNbAreReinitialised_DS24_DS21_POOL11)
{
    NblPool pool(NblParams(FALSE, 0));
    NbPool nbpool(NbParams(0));
    ASSERT_NE(pool.get(), nullptr);
    ASSERT_NE(nbpool.get(), nullptr);
    PNET_BUFFER_LIST nbl = NdisAllocateNetBufferList(pool.get(), 0, 0);
    ASSERT_NE(nbl, nullptr);
    DirtyNbl(nbl);
    nbl->FirstNetBuffer = reinterpret_cast<PNET_BUFFER>(0xF00D);
    NdisFreeNetBufferList(nbl);
    PNET_BUFFER_LIST again = NdisAllocateNetBufferList(pool.get(), 0, 0);
    ASSERT_EQ(again, nbl);
    ExpectFreshNblFields(again, pool.get());
    EXPECT_EQ(again->FirstNetBuffer, nullptr);
    NdisFreeNetBufferList(again);

    PNET_BUFFER nb = NdisAllocateNetBuffer(nbpool.get(), nullptr, 0, 0);
    ASSERT_NE(nb, nullptr);
    DirtyNb(nb);
    NdisFreeNetBuffer(nb);
    PNET_BUFFER nb2 = NdisAllocateNetBuffer(nbpool.get(), nullptr, 0, 0);
    ASSERT_EQ(nb2, nb);
    ExpectFreshNbHeaderFields(nb2, nbpool.get());
    EXPECT_EQ(nb2->MdlChain, nullptr);
    EXPECT_EQ(nb2->CurrentMdl, nullptr);
    EXPECT_EQ(nb2->stDataLength, 0u);
    NdisFreeNetBuffer(nb2);
}

TEST(PoolReuse, FreeingParentWithChildrenIsReported_DS24_POOL16)
{
    // ChildRefCount belongs to the driver that derived children (POOL-16); freeing an NBL
    // with children still counted is reported, and the next allocation starts from 0 (DS-24).
    NblPool pool(NblParams(FALSE, 0));
    ASSERT_NE(pool.get(), nullptr);
    PNET_BUFFER_LIST nbl = NdisAllocateNetBufferList(pool.get(), 0, 0);
    ASSERT_NE(nbl, nullptr);
    nbl->ChildRefCount = 2;
    {
        VerifierCapture cap;
        NdisFreeNetBufferList(nbl);
        EXPECT_VERIFIER_REPORTS(cap, "POOL-16");
    }
    PNET_BUFFER_LIST again = NdisAllocateNetBufferList(pool.get(), 0, 0);
    ASSERT_NE(again, nullptr);
    EXPECT_EQ(again->ChildRefCount, 0);
    EXPECT_EQ(again->ParentNetBufferList, nullptr);
    NdisFreeNetBufferList(again);
}

// ============================== DS-27 / VER-05: foreign objects ================================

TEST(ForeignObjects, CallocNblAndNbAreReported_DS27)
{
    auto *nbl = static_cast<PNET_BUFFER_LIST>(std::calloc(1, sizeof(NET_BUFFER_LIST)));
    auto *nb = static_cast<PNET_BUFFER>(std::calloc(1, sizeof(NET_BUFFER)));
    ASSERT_NE(nbl, nullptr);
    ASSERT_NE(nb, nullptr);
    alignas(16) NET_BUFFER_LIST stack_nbl{};
    alignas(16) NET_BUFFER stack_nb{};
    {
        VerifierCapture cap;
        NdisFreeNetBufferList(nbl);
        NdisFreeNetBuffer(nb);
        NdisFreeNetBufferList(&stack_nbl);
        NdisFreeNetBuffer(&stack_nb);
        EXPECT_VERIFIER_REPORTS(cap, "DS-27", "DS-27", "DS-27", "DS-27");
    }
    // Pointing NdisPoolHandle at a real pool does not make an object the pool's.
    NblPool pool(NblParams(TRUE, 0));
    ASSERT_NE(pool.get(), nullptr);
    nbl->NdisPoolHandle = pool.get();
    nb->NdisPoolHandle = pool.get();
    {
        VerifierCapture cap;
        NdisFreeNetBufferList(nbl);
        NdisFreeNetBuffer(nb);
        EXPECT_VERIFIER_REPORTS(cap, "DS-27", "DS-27");
    }
    EXPECT_EQ(Live().Nbls, 0u);
    std::free(nbl);
    std::free(nb);
}

TEST(ForeignObjects, ObjectsOfTheWrongKindAreForeign_DS27_VER05)
{
    NblPool pool(NblParams(TRUE, 64));
    ASSERT_NE(pool.get(), nullptr);
    PNET_BUFFER_LIST nbl = NdisAllocateNetBufferList(pool.get(), 0, 0);
    ASSERT_NE(nbl, nullptr);
    unsigned char buf[16];
    PMDL mdl = NdisAllocateMdl(nullptr, buf, sizeof buf);
    ASSERT_NE(mdl, nullptr);
    {
        VerifierCapture cap;
        NdisFreeNetBuffer(reinterpret_cast<PNET_BUFFER>(nbl)); // an NBL is not an NB
        NdisFreeNetBufferList(reinterpret_cast<PNET_BUFFER_LIST>(nbl->FirstNetBuffer));
        NdisFreeNetBufferList(reinterpret_cast<PNET_BUFFER_LIST>(mdl));
        NdisFreeMdl(reinterpret_cast<PMDL>(nbl));
        EXPECT_VERIFIER_REPORTS(cap, "DS-27", "DS-27", "DS-27", "VER-05");
    }
    EXPECT_EQ(Live().Nbls, 1u);
    NdisFreeMdl(mdl);
    NdisFreeNetBufferList(nbl);
}

TEST(ForeignObjects, StackMdlAndDoubleMdlFreeAreReported_VER05)
{
    alignas(16) unsigned char buf[256];
    alignas(16) MDL stack_mdl;
    MmInitializeMdl(&stack_mdl, buf, sizeof buf);
    MmBuildMdlForNonPagedPool(&stack_mdl);
    PMDL heap_mdl = static_cast<PMDL>(std::calloc(1, sizeof(MDL)));
    ASSERT_NE(heap_mdl, nullptr);
    PMDL real = NdisAllocateMdl(nullptr, buf, sizeof buf);
    ASSERT_NE(real, nullptr);
    {
        VerifierCapture cap;
        NdisFreeMdl(&stack_mdl);
        IoFreeMdl(&stack_mdl);
        NdisFreeMdl(heap_mdl);
        NdisFreeMdl(real);
        NdisFreeMdl(real); // double free
        EXPECT_VERIFIER_REPORTS(cap, "VER-05", "VER-05", "VER-05", "VER-05");
    }
    // The stack MDL is untouched.
    EXPECT_EQ(stack_mdl.ByteCount, sizeof buf);
    EXPECT_EQ(MmGetSystemAddressForMdlSafe(&stack_mdl, NormalPagePriority), buf);
    std::free(heap_mdl);
    EXPECT_EQ(Live().Mdls, 0u);
}

// ============================== Leak report ====================================================

TEST(LeakReport, NamesPoolTagAndListsLiveNbl_POOL10)
{
    NblPool pool(NblParams(TRUE, 0));
    ASSERT_NE(pool.get(), nullptr);
    PNET_BUFFER_LIST nbl = NdisAllocateNetBufferList(pool.get(), 0, 0);
    ASSERT_NE(nbl, nullptr);
    const SIZE_T needed = OpenNdisLeakReport(nullptr, 0);
    EXPECT_GT(needed, 0u);
    std::string text(needed + 1, '\0');
    EXPECT_EQ(OpenNdisLeakReport(text.data(), text.size()), needed);
    text.resize(needed);
    EXPECT_NE(text.find("Xnbl"), std::string::npos) << text; // 'lbnX' in memory order
    EXPECT_NE(text.find(PtrString(nbl)), std::string::npos) << text;
    // Truncation: NUL-terminated, full length still returned.
    char small[8];
    std::memset(small, 'z', sizeof small);
    EXPECT_EQ(OpenNdisLeakReport(small, sizeof small), needed);
    EXPECT_EQ(small[7], '\0');
    EXPECT_EQ(std::string(small), text.substr(0, 7));

    NdisFreeNetBufferList(nbl);
    const std::string after = openndis::test::leak_report();
    EXPECT_EQ(after.find(PtrString(nbl)), std::string::npos) << after;
}

// ============================== MDL helpers (DS-28, VER-05) ====================================

TEST(MdlHelpers, NdisAllocateMdlDescribesTheBuffer_DS28)
{
    alignas(PAGE_SIZE) static unsigned char buf[3 * PAGE_SIZE];
    unsigned char *va = buf + PAGE_SIZE - 10; // spans a page boundary
    const OPENNDIS_STATS before = Stats();
    int handle = 0;
    PMDL mdl = NdisAllocateMdl(&handle, va, 100);
    ASSERT_NE(mdl, nullptr);
    EXPECT_EQ(Stats().Mdls, before.Mdls + 1);
    EXPECT_EQ(mdl->Next, nullptr);
    EXPECT_EQ(MmGetMdlByteCount(mdl), 100u);
    EXPECT_EQ(MmGetMdlVirtualAddress(mdl), va);
    EXPECT_EQ(MmGetMdlBaseVa(mdl), PAGE_ALIGN(va));
    EXPECT_EQ(MmGetMdlByteOffset(mdl), BYTE_OFFSET(va));
    EXPECT_EQ(MmGetSystemAddressForMdlSafe(mdl, NormalPagePriority), va);
    EXPECT_EQ(MmGetSystemAddressForMdlSafe(mdl, LowPagePriority | MdlMappingNoExecute), va);
    EXPECT_EQ(MmGetSystemAddressForMdl(mdl), va);
    EXPECT_NE(mdl->MdlFlags & (MDL_MAPPED_TO_SYSTEM_VA | MDL_SOURCE_IS_NONPAGED_POOL), 0);
    EXPECT_EQ(NDIS_MDL_TO_SPAN_PAGES(mdl), 2u);
    ULONG pages = 0;
    NdisGetMdlPhysicalArraySize(mdl, &pages);
    EXPECT_EQ(pages, 2u);

    PVOID q = nullptr;
    ULONG len = 0;
    NdisQueryMdl(mdl, &q, &len, NormalPagePriority);
    EXPECT_EQ(q, va);
    EXPECT_EQ(len, 100u);
    len = 0;
    NdisQueryMdl(mdl, static_cast<PVOID *>(nullptr), &len, NormalPagePriority); // VA optional
    EXPECT_EQ(len, 100u);
    ULONG off = 0;
    NdisQueryMdlOffset(mdl, &off, &len);
    EXPECT_EQ(off, BYTE_OFFSET(va));
    EXPECT_EQ(len, 100u);

    NdisAdjustMdlLength(mdl, 40);
    EXPECT_EQ(MmGetMdlByteCount(mdl), 40u);
    NdisQueryMdl(mdl, &q, &len, NormalPagePriority);
    EXPECT_EQ(len, 40u);
    EXPECT_EQ(q, va); // the start does not move

    NdisFreeMdl(mdl); // never frees the buffer (static here)
    EXPECT_EQ(Stats().Mdls, before.Mdls);
}

TEST(MdlHelpers, ChainsThroughNextAndLinkage_DS28)
{
    unsigned char a[8], b[16], c[32];
    PMDL m1 = NdisAllocateMdl(nullptr, a, sizeof a);
    PMDL m2 = NdisAllocateMdl(nullptr, b, sizeof b);
    PMDL m3 = IoAllocateMdl(c, sizeof c, FALSE, FALSE, nullptr);
    ASSERT_NE(m1, nullptr);
    ASSERT_NE(m2, nullptr);
    ASSERT_NE(m3, nullptr);
    NDIS_MDL_LINKAGE(m1) = m2; // an lvalue
    m2->Next = m3;
    EXPECT_EQ(m1->Next, m2);
    EXPECT_EQ(NDIS_MDL_LINKAGE(m2), m3);
    PMDL next = nullptr;
    NdisGetNextMdl(m1, &next);
    EXPECT_EQ(next, m2);
    NdisGetNextMdl(m3, &next);
    EXPECT_EQ(next, nullptr);
    ULONG total = 0;
    for (PMDL m = m1; m != nullptr;) { // NdisGetNextMdl is a statement macro, as in the WDK
        total += MmGetMdlByteCount(m);
        NdisGetNextMdl(m, &m);
    }
    EXPECT_EQ(total, 56u);
    // Freeing one MDL never follows Next.
    NdisFreeMdl(m1);
    EXPECT_EQ(Live().Mdls, 2u);
    NdisFreeMdl(m2);
    IoFreeMdl(m3);
    EXPECT_EQ(Live().Mdls, 0u);
}

TEST(MdlHelpers, IoAllocateMdlAndBuildForNonPagedPool_DS28)
{
    alignas(16) unsigned char buf[500];
    PMDL mdl = IoAllocateMdl(buf + 4, 400, FALSE, FALSE, nullptr);
    ASSERT_NE(mdl, nullptr);
    EXPECT_EQ(MmGetMdlByteCount(mdl), 400u);
    EXPECT_EQ(MmGetMdlVirtualAddress(mdl), buf + 4);
    // Not yet built: the address still resolves (every OpenNDIS buffer is mapped).
    EXPECT_EQ(MmGetSystemAddressForMdlSafe(mdl, NormalPagePriority), buf + 4);
    MmBuildMdlForNonPagedPool(mdl);
    EXPECT_NE(mdl->MdlFlags & MDL_SOURCE_IS_NONPAGED_POOL, 0);
    EXPECT_EQ(mdl->MappedSystemVa, buf + 4);
    EXPECT_EQ(MmGetSystemAddressForMdlSafe(mdl, NormalPagePriority), buf + 4);
    IoFreeMdl(mdl);

    // IoAllocateMdl / NdisAllocateMdl MDLs are interchangeable for the free functions.
    PMDL m2 = NdisAllocateMdl(nullptr, buf, 10);
    ASSERT_NE(m2, nullptr);
    IoFreeMdl(m2);
    PMDL m3 = IoAllocateMdl(buf, 10, FALSE, FALSE, nullptr);
    ASSERT_NE(m3, nullptr);
    NdisFreeMdl(m3);

    VerifierCapture cap; // NULL address with a length: a required argument missing
    EXPECT_EQ(NdisAllocateMdl(nullptr, nullptr, 10), nullptr);
    EXPECT_EQ(IoAllocateMdl(nullptr, 10, FALSE, FALSE, nullptr), nullptr);
    EXPECT_EQ(cap.size(), 2u);
    EXPECT_EQ(Live().Mdls, 0u);
}

TEST(MdlHelpers, CallerBuiltMdlWorksInNbs_DS28_POOL11)
{
    alignas(16) unsigned char buf[PAGE_SIZE + 64];
    alignas(16) MDL mdl;
    MmInitializeMdl(&mdl, buf + 32, PAGE_SIZE);
    EXPECT_EQ(mdl.Next, nullptr);
    EXPECT_EQ(mdl.ByteCount, static_cast<ULONG>(PAGE_SIZE));
    EXPECT_EQ(mdl.StartVa, PAGE_ALIGN(buf + 32));
    EXPECT_EQ(mdl.ByteOffset, BYTE_OFFSET(buf + 32));
    EXPECT_EQ(mdl.Size, static_cast<CSHORT>(MmSizeOfMdl(buf + 32, PAGE_SIZE)));
    EXPECT_EQ(MmGetMdlVirtualAddress(&mdl), buf + 32);
    MmBuildMdlForNonPagedPool(&mdl);
    EXPECT_EQ(MmGetSystemAddressForMdlSafe(&mdl, NormalPagePriority), buf + 32);

    NbPool pool(NbParams(0));
    ASSERT_NE(pool.get(), nullptr);
    PNET_BUFFER nb = NdisAllocateNetBuffer(pool.get(), &mdl, 100, PAGE_SIZE - 100);
    ASSERT_NE(nb, nullptr);
    EXPECT_EQ(nb->CurrentMdl, &mdl);
    EXPECT_EQ(nb->CurrentMdlOffset, 100u);
    NdisFreeNetBuffer(nb); // the caller's MDL is not touched
    EXPECT_EQ(mdl.ByteCount, static_cast<ULONG>(PAGE_SIZE));
}

TEST(MdlHelpers, ZeroLengthMdl_DS28_DS04)
{
    unsigned char buf[64];
    PMDL empty = NdisAllocateMdl(nullptr, buf, 0);
    ASSERT_NE(empty, nullptr);
    EXPECT_EQ(MmGetMdlByteCount(empty), 0u);
    EXPECT_EQ(NDIS_MDL_TO_SPAN_PAGES(empty), 1u);
    PMDL data = NdisAllocateMdl(nullptr, buf, sizeof buf);
    ASSERT_NE(data, nullptr);
    empty->Next = data;

    // A zero-length MDL at the head of the chain holds no byte: CurrentMdl skips it (DS-04).
    NbPool pool(NbParams(0));
    ASSERT_NE(pool.get(), nullptr);
    PNET_BUFFER nb = NdisAllocateNetBuffer(pool.get(), empty, 0, 64);
    ASSERT_NE(nb, nullptr);
    EXPECT_EQ(nb->MdlChain, empty);
    EXPECT_EQ(nb->CurrentMdl, data);
    EXPECT_EQ(nb->CurrentMdlOffset, 0u);
    NdisFreeNetBuffer(nb);
    // A chain of only a zero-length MDL and an empty window.
    empty->Next = nullptr;
    PNET_BUFFER nb0 = NdisAllocateNetBuffer(pool.get(), empty, 0, 0);
    ASSERT_NE(nb0, nullptr);
    EXPECT_EQ(nb0->DataLength, 0u);
    EXPECT_EQ(nb0->CurrentMdl, empty);
    NdisFreeNetBuffer(nb0);
    NdisFreeMdl(empty);
    NdisFreeMdl(data);
}

// ============================== NBL contexts: DS-13 … DS-17 ====================================

TEST(NblContext, PushLowerAndPopLifo_DS13_DS14_DS15)
{
    NblPool pool(NblParams(FALSE, 0));
    ASSERT_NE(pool.get(), nullptr);
    PNET_BUFFER_LIST nbl = NdisAllocateNetBufferList(pool.get(), 0, 0);
    ASSERT_NE(nbl, nullptr);
    ASSERT_EQ(nbl->Context, nullptr);
    const OPENNDIS_STATS before = Stats();
    VerifierCapture cap;

    // 1. Nothing there: a new block of size + backfill, Offset = backfill.
    ASSERT_EQ(NdisAllocateNetBufferListContext(nbl, 16, 32, kCtxTag), NDIS_STATUS_SUCCESS);
    PNET_BUFFER_LIST_CONTEXT b1 = nbl->Context;
    ASSERT_NE(b1, nullptr);
    EXPECT_EQ(b1->Next, nullptr);
    EXPECT_EQ(b1->Size, 48);
    EXPECT_EQ(b1->Offset, 32);
    EXPECT_EQ(NET_BUFFER_LIST_CONTEXT_DATA_START(nbl), b1->ContextData + 32);
    EXPECT_EQ(reinterpret_cast<std::uintptr_t>(NET_BUFFER_LIST_CONTEXT_DATA_START(nbl)) %
                  sizeof(void *),
              0u); // DS-16
    std::memset(b1->ContextData, 0x11, b1->Size);
    EXPECT_EQ(Stats().NblContexts, before.NblContexts + 1);

    // 2. Enough backfill: Offset lowered, no new block (DS-14), used data kept in place.
    ASSERT_EQ(NdisAllocateNetBufferListContext(nbl, 16, 0, kCtxTag), NDIS_STATUS_SUCCESS);
    EXPECT_EQ(nbl->Context, b1);
    EXPECT_EQ(b1->Offset, 16);
    EXPECT_EQ(NET_BUFFER_LIST_CONTEXT_DATA_START(nbl), b1->ContextData + 16);
    EXPECT_EQ(Stats().NblContexts, before.NblContexts + 1);
    // 8 bytes is a legal amount for this API (sizeof(PVOID); §16 point 5).
    ASSERT_EQ(NdisAllocateNetBufferListContext(nbl, 8, 0, kCtxTag), NDIS_STATUS_SUCCESS);
    EXPECT_EQ(nbl->Context, b1);
    EXPECT_EQ(b1->Offset, 8);

    // 3. Not enough backfill left: a new block linked in front.
    ASSERT_EQ(NdisAllocateNetBufferListContext(nbl, 64, 0, kCtxTag), NDIS_STATUS_SUCCESS);
    PNET_BUFFER_LIST_CONTEXT b2 = nbl->Context;
    ASSERT_NE(b2, b1);
    EXPECT_EQ(b2->Next, b1);
    EXPECT_EQ(b2->Size, 64);
    EXPECT_EQ(b2->Offset, 0);
    std::memset(b2->ContextData, 0x22, 64);
    EXPECT_EQ(Stats().NblContexts, before.NblContexts + 2);
    // The tag is the caller's: the block is accounted under it.
    EXPECT_NE(openndis::test::leak_report().find("XCtx"), std::string::npos);

    // LIFO frees.
    NdisFreeNetBufferListContext(nbl, 64); // pops b2
    EXPECT_EQ(nbl->Context, b1);
    EXPECT_EQ(Stats().NblContexts, before.NblContexts + 1);
    EXPECT_EQ(b1->Offset, 8);
    EXPECT_EQ(b1->ContextData[8], 0x11); // the older context's data is intact
    NdisFreeNetBufferListContext(nbl, 8);
    EXPECT_EQ(b1->Offset, 16);
    NdisFreeNetBufferListContext(nbl, 16);
    EXPECT_EQ(b1->Offset, 32);
    EXPECT_EQ(nbl->Context, b1);
    NdisFreeNetBufferListContext(nbl, 16); // b1 now entirely unused: popped
    EXPECT_EQ(nbl->Context, nullptr);
    EXPECT_EQ(Stats().NblContexts, before.NblContexts);
    EXPECT_VERIFIER_REPORTS(cap);
    NdisFreeNetBufferList(nbl);
}

TEST(NblContext, NestedOnTopOfAllocationContext_DS14_DS15_POOL05)
{
    // Pool ContextSize 64; NBL asks 16 + backfill 16 → preallocated block, Offset 48.
    NblPool pool(NblParams(TRUE, 0, 64));
    ASSERT_NE(pool.get(), nullptr);
    PNET_BUFFER_LIST nbl = NdisAllocateNetBufferList(pool.get(), 16, 16);
    ASSERT_NE(nbl, nullptr);
    PNET_BUFFER_LIST_CONTEXT base = nbl->Context;
    ASSERT_NE(base, nullptr);
    ASSERT_EQ(base->Offset, 48);
    const OPENNDIS_STATS before = Stats();
    VerifierCapture cap;

    // Three layers of 16 bytes fit in the base block's 48 unused bytes.
    for (int i = 0; i < 3; ++i) {
        ASSERT_EQ(NdisAllocateNetBufferListContext(nbl, 16, 0, kCtxTag), NDIS_STATUS_SUCCESS);
        EXPECT_EQ(nbl->Context, base);
        EXPECT_EQ(base->Offset, 32 - 16 * i);
        *NET_BUFFER_LIST_CONTEXT_DATA_START(nbl) = static_cast<UCHAR>(0x40 + i);
    }
    EXPECT_EQ(Stats().NblContexts, before.NblContexts);
    // A fourth layer needs a new block; with backfill, the next one reuses that backfill.
    ASSERT_EQ(NdisAllocateNetBufferListContext(nbl, 16, 16, kCtxTag), NDIS_STATUS_SUCCESS);
    PNET_BUFFER_LIST_CONTEXT top = nbl->Context;
    EXPECT_NE(top, base);
    EXPECT_EQ(top->Next, base);
    EXPECT_EQ(top->Size, 32);
    EXPECT_EQ(top->Offset, 16);
    ASSERT_EQ(NdisAllocateNetBufferListContext(nbl, 16, 0, kCtxTag), NDIS_STATUS_SUCCESS);
    EXPECT_EQ(nbl->Context, top);
    EXPECT_EQ(top->Offset, 0);
    EXPECT_EQ(Stats().NblContexts, before.NblContexts + 1);

    NdisFreeNetBufferListContext(nbl, 16);
    EXPECT_EQ(nbl->Context, top);
    NdisFreeNetBufferListContext(nbl, 16);
    EXPECT_EQ(nbl->Context, base);
    EXPECT_EQ(Stats().NblContexts, before.NblContexts);
    for (int i = 2; i >= 0; --i) {
        EXPECT_EQ(*NET_BUFFER_LIST_CONTEXT_DATA_START(nbl), 0x40 + i);
        NdisFreeNetBufferListContext(nbl, 16);
    }
    EXPECT_EQ(base->Offset, 48);
    EXPECT_EQ(nbl->Context, base); // the allocation-time block is never popped
    EXPECT_VERIFIER_REPORTS(cap);
    NdisFreeNetBufferList(nbl);
}

TEST(NblContext, UnalignedAmountsAreRejected_DS16)
{
    NblPool pool(NblParams(FALSE, 0));
    ASSERT_NE(pool.get(), nullptr);
    PNET_BUFFER_LIST nbl = NdisAllocateNetBufferList(pool.get(), 0, 0);
    ASSERT_NE(nbl, nullptr);
    VerifierCapture cap;
    EXPECT_NE(NdisAllocateNetBufferListContext(nbl, 12, 0, kCtxTag), NDIS_STATUS_SUCCESS);
    EXPECT_NE(NdisAllocateNetBufferListContext(nbl, 16, 4, kCtxTag), NDIS_STATUS_SUCCESS);
    EXPECT_NE(NdisAllocateNetBufferListContext(nbl, 1, 0, kCtxTag), NDIS_STATUS_SUCCESS);
    EXPECT_VERIFIER_REPORTS(cap, "DS-16", "DS-16", "DS-16");
    EXPECT_EQ(nbl->Context, nullptr);
    EXPECT_EQ(Live().NblContexts, 0u);
    NdisFreeNetBufferList(nbl);
}

TEST(NblContext, MismatchedFreesAreReported_DS15)
{
    NblPool pool(NblParams(FALSE, 0));
    ASSERT_NE(pool.get(), nullptr);
    PNET_BUFFER_LIST nbl = NdisAllocateNetBufferList(pool.get(), 0, 0);
    ASSERT_NE(nbl, nullptr);
    {
        VerifierCapture cap;
        NdisFreeNetBufferListContext(nbl, 16); // nothing allocated
        EXPECT_VERIFIER_REPORTS(cap, "DS-15");
    }
    ASSERT_EQ(NdisAllocateNetBufferListContext(nbl, 16, 0, kCtxTag), NDIS_STATUS_SUCCESS);
    ASSERT_EQ(NdisAllocateNetBufferListContext(nbl, 32, 0, kCtxTag), NDIS_STATUS_SUCCESS);
    PNET_BUFFER_LIST_CONTEXT top = nbl->Context;
    {
        VerifierCapture cap;
        NdisFreeNetBufferListContext(nbl, 48); // more than the last allocation: not LIFO
        EXPECT_VERIFIER_REPORTS(cap, "DS-15");
    }
    EXPECT_EQ(nbl->Context, top); // nothing changed
    EXPECT_EQ(top->Offset, 0);
    NdisFreeNetBufferListContext(nbl, 32);
    NdisFreeNetBufferListContext(nbl, 16);
    EXPECT_EQ(nbl->Context, nullptr);
    EXPECT_EQ(Live().NblContexts, 0u);
    NdisFreeNetBufferList(nbl);
}

TEST(NblContext, AllocationTimeContextIsNeverFreed_DS17)
{
    for (USHORT pool_ctx : {USHORT{32}, USHORT{0}}) { // preallocated and external base block
        SCOPED_TRACE(pool_ctx);
        NblPool pool(NblParams(TRUE, 64, pool_ctx));
        ASSERT_NE(pool.get(), nullptr);
        PNET_BUFFER_LIST nbl = NdisAllocateNetBufferList(pool.get(), 16, 16);
        ASSERT_NE(nbl, nullptr);
        PNET_BUFFER_LIST_CONTEXT base = nbl->Context;
        ASSERT_NE(base, nullptr);
        const USHORT offset = base->Offset;
        {
            VerifierCapture cap;
            NdisFreeNetBufferListContext(nbl, 16);
            EXPECT_VERIFIER_REPORTS(cap, "DS-17");
        }
        EXPECT_EQ(nbl->Context, base);
        EXPECT_EQ(base->Offset, offset);
        // Allocated on top of it and freed again: fine; one more free: DS-17.
        ASSERT_EQ(NdisAllocateNetBufferListContext(nbl, 16, 0, kCtxTag), NDIS_STATUS_SUCCESS);
        EXPECT_EQ(base->Offset, offset - 16);
        NdisFreeNetBufferListContext(nbl, 16);
        EXPECT_EQ(base->Offset, offset);
        {
            VerifierCapture cap;
            NdisFreeNetBufferListContext(nbl, 16);
            EXPECT_VERIFIER_REPORTS(cap, "DS-17");
        }
        EXPECT_EQ(nbl->Context, base);
        EXPECT_EQ(base->Offset, offset);
        NdisFreeNetBufferList(nbl);
    }
}

TEST(NblContext, NblFreedWithPushedContextIsReportedAndFreed_DS17)
{
    NblPool pool(NblParams(TRUE, 0, 16));
    ASSERT_NE(pool.get(), nullptr);
    const OPENNDIS_STATS before = Stats();
    PNET_BUFFER_LIST nbl = NdisAllocateNetBufferList(pool.get(), 16, 0);
    ASSERT_NE(nbl, nullptr);
    ASSERT_EQ(NdisAllocateNetBufferListContext(nbl, 64, 0, kCtxTag), NDIS_STATUS_SUCCESS);
    ASSERT_EQ(NdisAllocateNetBufferListContext(nbl, 128, 0, kCtxTag), NDIS_STATUS_SUCCESS);
    EXPECT_EQ(Stats().NblContexts, before.NblContexts + 2);
    {
        VerifierCapture cap;
        NdisFreeNetBufferList(nbl);
        EXPECT_VERIFIER_REPORTS(cap, "DS-17"); // once per NBL
    }
    const OPENNDIS_STATS after = Stats();
    EXPECT_EQ(after.Nbls, before.Nbls);               // freed anyway
    EXPECT_EQ(after.NblContexts, before.NblContexts); // blocks freed too
    EXPECT_EQ(after.MemoryBlocks, before.MemoryBlocks);
}

TEST(NblContext, NblFreedWithContextAddedInsideBaseBlockIsReported_DS17)
{
    // DS-17: "Context space added with NdisAllocateNetBufferListContext must be freed before
    // NdisFreeNetBufferList" — also when the space came from the allocation-time block's
    // backfill (no block was pushed).
    NblPool pool(NblParams(TRUE, 0, 32));
    ASSERT_NE(pool.get(), nullptr);
    PNET_BUFFER_LIST nbl = NdisAllocateNetBufferList(pool.get(), 16, 16);
    ASSERT_NE(nbl, nullptr);
    ASSERT_EQ(NdisAllocateNetBufferListContext(nbl, 16, 0, kCtxTag), NDIS_STATUS_SUCCESS);
    ASSERT_EQ(nbl->Context->Offset, 0); // lowered inside the base block
    VerifierCapture cap;
    NdisFreeNetBufferList(nbl);
    EXPECT_VERIFIER_REPORTS(cap, "DS-17");
    EXPECT_EQ(Live().Nbls, 0u);
}

// ============================== Allocation failure injection ===================================

TEST(AllocationFailures, NblAllocationFailsCleanly_POOL03_POOL05)
{
    InjectionGuard guard;
    NblPool a(NblParams(FALSE, 0, 16));
    NblPool b(NblParams(TRUE, 0, 16));
    NblPool c(NblParams(TRUE, 2048, 16));
    ASSERT_NE(a.get(), nullptr);
    ASSERT_NE(b.get(), nullptr);
    ASSERT_NE(c.get(), nullptr);
    // Warm the per-thread caches so the failure must be honoured on the fast path too.
    for (NDIS_HANDLE pool : {a.get(), b.get(), c.get()}) {
        PNET_BUFFER_LIST n = NdisAllocateNetBufferList(pool, 0, 0);
        ASSERT_NE(n, nullptr);
        NdisFreeNetBufferList(n);
    }
    const OPENNDIS_STATS before = Stats();
    VerifierCapture cap;
    for (NDIS_HANDLE pool : {a.get(), b.get(), c.get()}) {
        OpenNdisInjectAllocationFailures(0, 1);
        EXPECT_EQ(NdisAllocateNetBufferList(pool, 16, 0), nullptr);
        PNET_BUFFER_LIST ok = NdisAllocateNetBufferList(pool, 16, 0); // only one failure
        EXPECT_NE(ok, nullptr);
        if (ok != nullptr) NdisFreeNetBufferList(ok);
    }
    OpenNdisInjectAllocationFailures(0, 1);
    EXPECT_EQ(NdisAllocateNetBufferAndNetBufferList(b.get(), 0, 0, nullptr, 0, 0), nullptr);
    EXPECT_VERIFIER_REPORTS(cap); // running out of memory is not a rule break
    const OPENNDIS_STATS after = Stats();
    EXPECT_EQ(after.Nbls, before.Nbls);
    EXPECT_EQ(after.NblContexts, before.NblContexts);
    EXPECT_EQ(after.MemoryBlocks, before.MemoryBlocks);
}

TEST(AllocationFailures, SkipAndCountSemantics_POOL03)
{
    InjectionGuard guard;
    NblPool pool(NblParams(FALSE, 0));
    ASSERT_NE(pool.get(), nullptr);
    OpenNdisInjectAllocationFailures(2, 3);
    std::vector<PNET_BUFFER_LIST> got;
    for (int i = 0; i < 7; ++i) got.push_back(NdisAllocateNetBufferList(pool.get(), 0, 0));
    EXPECT_NE(got[0], nullptr);
    EXPECT_NE(got[1], nullptr);
    EXPECT_EQ(got[2], nullptr);
    EXPECT_EQ(got[3], nullptr);
    EXPECT_EQ(got[4], nullptr);
    EXPECT_NE(got[5], nullptr);
    EXPECT_NE(got[6], nullptr);
    for (PNET_BUFFER_LIST n : got) {
        if (n != nullptr) NdisFreeNetBufferList(n);
    }
    // Count 0 disarms.
    OpenNdisInjectAllocationFailures(0, 5);
    OpenNdisInjectAllocationFailures(0, 0);
    PNET_BUFFER_LIST n = NdisAllocateNetBufferList(pool.get(), 0, 0);
    EXPECT_NE(n, nullptr);
    if (n != nullptr) NdisFreeNetBufferList(n);
}

TEST(AllocationFailures, ExternalContextAtNblAllocationFailsCleanly_POOL05)
{
    // The NBL element comes from the pool (first allocation, skipped); the context block of
    // ctx + backfill > ContextSize is a second, separate allocation: make that one fail.
    InjectionGuard guard;
    NblPool pool(NblParams(TRUE, 128, 0));
    ASSERT_NE(pool.get(), nullptr);
    const OPENNDIS_STATS before = Stats();
    VerifierCapture cap;
    OpenNdisInjectAllocationFailures(1, 1);
    PNET_BUFFER_LIST nbl = NdisAllocateNetBufferList(pool.get(), 64, 0);
    EXPECT_EQ(nbl, nullptr) << "the context block allocation did not honour the injected failure";
    if (nbl != nullptr) NdisFreeNetBufferList(nbl);
    OpenNdisInjectAllocationFailures(0, 0);
    EXPECT_VERIFIER_REPORTS(cap);
    const OPENNDIS_STATS after = Stats();
    EXPECT_EQ(after.Nbls, before.Nbls);
    EXPECT_EQ(after.NblContexts, before.NblContexts);
    EXPECT_EQ(after.MemoryBlocks, before.MemoryBlocks);
    // The pool still works afterwards, with and without an external context.
    PNET_BUFFER_LIST ok = NdisAllocateNetBufferList(pool.get(), 64, 0);
    ASSERT_NE(ok, nullptr);
    EXPECT_EQ(ok->Context->Size, 64);
    NdisFreeNetBufferList(ok);
}

TEST(AllocationFailures, NbAndMdlAllocationsFailCleanly_POOL11_DS28)
{
    InjectionGuard guard;
    NbPool plain(NbParams(0));
    NbPool data(NbParams(256));
    ASSERT_NE(plain.get(), nullptr);
    ASSERT_NE(data.get(), nullptr);
    unsigned char buf[32];
    const OPENNDIS_STATS before = Stats();
    VerifierCapture cap;
    OpenNdisInjectAllocationFailures(0, 1);
    EXPECT_EQ(NdisAllocateNetBuffer(plain.get(), nullptr, 0, 0), nullptr);
    OpenNdisInjectAllocationFailures(0, 1);
    EXPECT_EQ(NdisAllocateNetBufferMdlAndData(data.get()), nullptr);
    OpenNdisInjectAllocationFailures(0, 1);
    EXPECT_EQ(NdisAllocateMdl(nullptr, buf, sizeof buf), nullptr);
    OpenNdisInjectAllocationFailures(0, 1);
    EXPECT_EQ(IoAllocateMdl(buf, sizeof buf, FALSE, FALSE, nullptr), nullptr);
    EXPECT_VERIFIER_REPORTS(cap);
    const OPENNDIS_STATS after = Stats();
    EXPECT_EQ(after.Nbs, before.Nbs);
    EXPECT_EQ(after.Mdls, before.Mdls);
    EXPECT_EQ(after.MemoryBlocks, before.MemoryBlocks);
    // Disarmed after the one failure each.
    PMDL m = NdisAllocateMdl(nullptr, buf, sizeof buf);
    ASSERT_NE(m, nullptr);
    NdisFreeMdl(m);
}

TEST(AllocationFailures, ContextPushFailsWithResources_DS14)
{
    InjectionGuard guard;
    NblPool pool(NblParams(FALSE, 0, 32));
    ASSERT_NE(pool.get(), nullptr);
    PNET_BUFFER_LIST nbl = NdisAllocateNetBufferList(pool.get(), 16, 16);
    ASSERT_NE(nbl, nullptr);
    PNET_BUFFER_LIST_CONTEXT base = nbl->Context;
    const OPENNDIS_STATS before = Stats();
    VerifierCapture cap;
    OpenNdisInjectAllocationFailures(0, 1);
    EXPECT_EQ(NdisAllocateNetBufferListContext(nbl, 64, 0, kCtxTag), NDIS_STATUS_RESOURCES);
    EXPECT_EQ(nbl->Context, base); // unchanged
    EXPECT_EQ(base->Offset, 16);
    EXPECT_EQ(Stats().NblContexts, before.NblContexts);
    EXPECT_EQ(Stats().MemoryBlocks, before.MemoryBlocks);
    // Satisfied from backfill: no allocation, so the armed failure does not apply.
    OpenNdisInjectAllocationFailures(0, 1);
    EXPECT_EQ(NdisAllocateNetBufferListContext(nbl, 16, 0, kCtxTag), NDIS_STATUS_SUCCESS);
    NdisFreeNetBufferListContext(nbl, 16);
    OpenNdisInjectAllocationFailures(0, 0);
    EXPECT_VERIFIER_REPORTS(cap);
    NdisFreeNetBufferList(nbl);
}

// ============================== POOL-13: verify pools ==========================================

class VerifyPoolDeathTest : public ::testing::Test {
protected:
    void SetUp() override
    {
        _style = GTEST_FLAG_GET(death_test_style);
        GTEST_FLAG_SET(death_test_style, "threadsafe");
    }
    void TearDown() override { GTEST_FLAG_SET(death_test_style, _style); }

private:
    std::string _style;
};

TEST_F(VerifyPoolDeathTest, ReadingFreedNblFaults_POOL13)
{
    NblPool pool(VerifyParams(TRUE, 128, 16));
    ASSERT_NE(pool.get(), nullptr);
    PNET_BUFFER_LIST nbl = NdisAllocateNetBufferList(pool.get(), 16, 0);
    ASSERT_NE(nbl, nullptr);
    // Live: every part is accessible.
    nbl->Next = nullptr;
    std::memset(MmGetSystemAddressForMdlSafe(nbl->FirstNetBuffer->MdlChain, NormalPagePriority),
                1, 128);
    NdisFreeNetBufferList(nbl);
    EXPECT_DEATH(
        {
            PNET_BUFFER_LIST next = *static_cast<PNET_BUFFER_LIST volatile *>(&nbl->Next);
            std::fprintf(stderr, "read %p\n", static_cast<void *>(next));
        },
        "");
}

TEST_F(VerifyPoolDeathTest, WritingFreedNbDataFaults_POOL13)
{
    NblPool pool(VerifyParams(TRUE, 4096));
    ASSERT_NE(pool.get(), nullptr);
    PNET_BUFFER_LIST nbl = NdisAllocateNetBufferList(pool.get(), 0, 0);
    ASSERT_NE(nbl, nullptr);
    PNET_BUFFER nb = nbl->FirstNetBuffer;
    auto *data = static_cast<unsigned char volatile *>(
        MmGetSystemAddressForMdlSafe(nb->MdlChain, NormalPagePriority));
    data[4095] = 1;
    NdisFreeNetBufferList(nbl);
    EXPECT_DEATH({ data[4095] = 2; }, "");
    EXPECT_DEATH({ (void)*static_cast<ULONG volatile *>(&nb->DataLength); }, "");
}

TEST(VerifyPool, FreedNblIsQuarantinedNotReusedAtOnce_POOL13)
{
    NblPool pool(VerifyParams(TRUE, 64, 16));
    ASSERT_NE(pool.get(), nullptr);
    PNET_BUFFER_LIST victim = NdisAllocateNetBufferList(pool.get(), 16, 0);
    ASSERT_NE(victim, nullptr);
    DirtyNbl(victim);
    DirtyNb(victim->FirstNetBuffer);
    NdisFreeNetBufferList(victim);

    std::vector<PNET_BUFFER_LIST> held;
    for (int i = 0; i < 100; ++i) {
        PNET_BUFFER_LIST n = NdisAllocateNetBufferList(pool.get(), 16, 0);
        ASSERT_NE(n, nullptr);
        EXPECT_NE(n, victim) << "quarantined NBL handed out by allocation #" << i;
        held.push_back(n);
    }
    // Alternating free/allocate never hands back what was just freed either.
    for (int i = 0; i < 20; ++i) {
        PNET_BUFFER_LIST n = held.back();
        held.pop_back();
        NdisFreeNetBufferList(n);
        PNET_BUFFER_LIST m = NdisAllocateNetBufferList(pool.get(), 16, 0);
        ASSERT_NE(m, nullptr);
        EXPECT_NE(m, n);
        EXPECT_NE(m, victim);
        held.push_back(m);
    }
    EXPECT_EQ(Live().Nbls, 100u);
    for (PNET_BUFFER_LIST n : held) NdisFreeNetBufferList(n);
    EXPECT_EQ(Live().Nbls, 0u);

    // After enough later frees the victim leaves quarantine; once reused it is rebuilt
    // (DS-21, DS-24) and fully accessible again.
    std::vector<PNET_BUFFER_LIST> again;
    bool seen = false;
    for (int i = 0; i < 200 && !seen; ++i) {
        PNET_BUFFER_LIST n = NdisAllocateNetBufferList(pool.get(), 16, 0);
        ASSERT_NE(n, nullptr);
        again.push_back(n);
        if (n == victim) {
            seen = true;
            ExpectFreshNblFields(n, pool.get());
            ASSERT_NE(n->Context, nullptr);
            EXPECT_EQ(n->Context->Size, 16);
            EXPECT_EQ(n->Context->Offset, 0);
            PNET_BUFFER nb = n->FirstNetBuffer;
            ASSERT_NE(nb, nullptr);
            ExpectFreshNbHeaderFields(nb, pool.get());
            ASSERT_NE(nb->MdlChain, nullptr);
            EXPECT_EQ(nb->DataLength, 64u);
            EXPECT_EQ(nb->MdlChain->ByteCount, 64u);
            std::memset(MmGetSystemAddressForMdlSafe(nb->MdlChain, NormalPagePriority), 3, 64);
        }
    }
    EXPECT_TRUE(seen) << "a verify pool never reused a quarantined NBL";
    {
        // Preallocated NB/MDL of a reused element are again "preallocated" (POOL-09).
        VerifierCapture cap;
        NdisFreeNetBuffer(again.front()->FirstNetBuffer);
        NdisFreeMdl(again.front()->FirstNetBuffer->MdlChain);
        EXPECT_VERIFIER_REPORTS(cap, "POOL-09", "POOL-09");
    }
    for (PNET_BUFFER_LIST n : again) NdisFreeNetBufferList(n);
}

TEST(VerifyPool, DoubleFreeIsReportedWithoutCrash_POOL13_POOL08)
{
    NblPool pool(VerifyParams(FALSE, 0));
    ASSERT_NE(pool.get(), nullptr);
    PNET_BUFFER_LIST nbl = NdisAllocateNetBufferList(pool.get(), 0, 0);
    ASSERT_NE(nbl, nullptr);
    NdisFreeNetBufferList(nbl);
    {
        VerifierCapture cap;
        NdisFreeNetBufferList(nbl); // still in quarantine (PROT_NONE payload)
        NdisFreeNetBufferList(nbl);
        EXPECT_VERIFIER_REPORTS(cap, "POOL-08", "POOL-08");
    }
    // Push it out of quarantine (now merely free) and double-free again.
    std::vector<PNET_BUFFER_LIST> v;
    for (int i = 0; i < 70; ++i) v.push_back(NdisAllocateNetBufferList(pool.get(), 0, 0));
    for (PNET_BUFFER_LIST n : v) {
        ASSERT_NE(n, nullptr);
        EXPECT_NE(n, nbl);
    }
    for (PNET_BUFFER_LIST n : v) NdisFreeNetBufferList(n);
    {
        VerifierCapture cap;
        NdisFreeNetBufferList(nbl);
        EXPECT_VERIFIER_REPORTS(cap, "POOL-08");
    }
    EXPECT_EQ(Live().Nbls, 0u);
}

TEST(VerifyPool, AllKindsAndContextsWork_POOL13_POOL04_POOL05)
{
    for (BOOLEAN nb : {BOOLEAN{FALSE}, BOOLEAN{TRUE}}) {
        for (ULONG data : {0u, 1514u}) {
            if (!nb && data != 0) continue;
            SCOPED_TRACE(testing::Message() << "nb " << int(nb) << " data " << data);
            NblPool pool(VerifyParams(nb, data, 32));
            ASSERT_NE(pool.get(), nullptr);
            for (int round = 0; round < 3; ++round) {
                std::vector<PNET_BUFFER_LIST> v;
                for (int i = 0; i < 40; ++i) {
                    PNET_BUFFER_LIST n = NdisAllocateNetBufferList(pool.get(), 16, i % 2 ? 32 : 0);
                    ASSERT_NE(n, nullptr);
                    ExpectFreshNblFields(n, pool.get());
                    ASSERT_NE(n->Context, nullptr);
                    EXPECT_TRUE(Aligned16(NET_BUFFER_LIST_CONTEXT_DATA_START(n)));
                    std::memset(NET_BUFFER_LIST_CONTEXT_DATA_START(n), 0x42, 16);
                    if (nb) {
                        ASSERT_NE(n->FirstNetBuffer, nullptr);
                        EXPECT_EQ(n->FirstNetBuffer->DataLength, data);
                        if (data != 0) {
                            std::memset(MmGetSystemAddressForMdlSafe(n->FirstNetBuffer->MdlChain,
                                                                     NormalPagePriority),
                                        0x24, data);
                        }
                    } else {
                        EXPECT_EQ(n->FirstNetBuffer, nullptr);
                    }
                    DirtyNbl(n);
                    v.push_back(n);
                }
                EXPECT_EQ(Live().Nbls, 40u);
                for (PNET_BUFFER_LIST n : v) NdisFreeNetBufferList(n);
            }
        }
    }
    EXPECT_EQ(Live().NblContexts, 0u);
}

TEST(VerifyPool, FreedWithNblOutLivesOn_POOL13_POOL10)
{
    NDIS_HANDLE pool;
    {
        NET_BUFFER_LIST_POOL_PARAMETERS p = VerifyParams(TRUE, 100);
        pool = NdisAllocateNetBufferListPool(nullptr, &p);
    }
    ASSERT_NE(pool, nullptr);
    PNET_BUFFER_LIST quarantined = NdisAllocateNetBufferList(pool, 0, 0);
    PNET_BUFFER_LIST out = NdisAllocateNetBufferList(pool, 0, 0);
    ASSERT_NE(quarantined, nullptr);
    ASSERT_NE(out, nullptr);
    NdisFreeNetBufferList(quarantined);
    {
        VerifierCapture cap;
        NdisFreeNetBufferListPool(pool);
        EXPECT_VERIFIER_REPORTS(cap, "POOL-10"); // only the live one, not the quarantined one
    }
    std::memset(MmGetSystemAddressForMdlSafe(out->FirstNetBuffer->MdlChain, NormalPagePriority), 9,
                100);
    NdisFreeNetBufferList(out);
    EXPECT_EQ(Live().Nbls, 0u);
}

// ============================== Threads ========================================================

TEST(PoolThreads, AllocateOnOneThreadFreeOnAnother_POOL03)
{
    NblPool pool(NblParams(TRUE, 256, 16));
    NbPool nbpool(NbParams(0));
    ASSERT_NE(pool.get(), nullptr);
    ASSERT_NE(nbpool.get(), nullptr);
    const OPENNDIS_STATS before = Stats();
    constexpr int kCount = 1000;
    std::vector<PNET_BUFFER_LIST> nbls;
    std::vector<PNET_BUFFER> nbs;
    std::vector<PMDL> mdls;
    static unsigned char buf[64];
    std::thread producer([&] {
        for (int i = 0; i < kCount; ++i) {
            PNET_BUFFER_LIST n = NdisAllocateNetBufferList(pool.get(), 16, i % 3 ? 0 : 32);
            PNET_BUFFER nb = NdisAllocateNetBuffer(nbpool.get(), nullptr, 0, 0);
            PMDL m = NdisAllocateMdl(nullptr, buf, sizeof buf);
            if (n == nullptr || nb == nullptr || m == nullptr) break;
            if (i % 5 == 0 &&
                NdisAllocateNetBufferListContext(n, 64, 0, kCtxTag) == NDIS_STATUS_SUCCESS) {
                n->ProtocolReserved[0] = n; // marks "has a pushed context"
            }
            std::memset(MmGetSystemAddressForMdlSafe(n->FirstNetBuffer->MdlChain, NormalPagePriority),
                        i & 0xFF, 256);
            nbls.push_back(n);
            nbs.push_back(nb);
            mdls.push_back(m);
        }
    });
    producer.join();
    ASSERT_EQ(nbls.size(), static_cast<std::size_t>(kCount));
    EXPECT_EQ(Stats().Nbls, before.Nbls + kCount);
    EXPECT_EQ(Stats().Nbs, before.Nbs + kCount);
    EXPECT_EQ(Stats().Mdls, before.Mdls + kCount);
    std::thread consumer([&] {
        int i = 0;
        for (PNET_BUFFER_LIST n : nbls) {
            auto *data = static_cast<unsigned char *>(
                MmGetSystemAddressForMdlSafe(n->FirstNetBuffer->MdlChain, NormalPagePriority));
            if (data[255] != (i & 0xFF)) ADD_FAILURE() << "NBL " << i << " data changed";
            if (n->ProtocolReserved[0] == n) NdisFreeNetBufferListContext(n, 64);
            NdisFreeNetBufferList(n);
            ++i;
        }
        for (PNET_BUFFER nb : nbs) NdisFreeNetBuffer(nb);
        for (PMDL m : mdls) NdisFreeMdl(m);
    });
    consumer.join();
    OPENNDIS_STATS after = Stats();
    EXPECT_EQ(after.Nbls, before.Nbls);
    EXPECT_EQ(after.Nbs, before.Nbs);
    EXPECT_EQ(after.Mdls, before.Mdls);
    EXPECT_EQ(after.NblContexts, before.NblContexts);
    // The objects now cached by the (exited) consumer's slot are handed out again intact.
    std::set<PNET_BUFFER_LIST> distinct(nbls.begin(), nbls.end());
    EXPECT_EQ(distinct.size(), static_cast<std::size_t>(kCount));
    std::vector<PNET_BUFFER_LIST> again;
    for (int i = 0; i < kCount; ++i) {
        PNET_BUFFER_LIST n = NdisAllocateNetBufferList(pool.get(), 0, 0);
        ASSERT_NE(n, nullptr);
        EXPECT_EQ(n->Context, nullptr);
        EXPECT_EQ(n->ProtocolReserved[0], nullptr);
        again.push_back(n);
    }
    std::set<PNET_BUFFER_LIST> distinct_again(again.begin(), again.end());
    EXPECT_EQ(distinct_again.size(), static_cast<std::size_t>(kCount)); // no duplicates
    for (PNET_BUFFER_LIST n : again) NdisFreeNetBufferList(n);
}

TEST(PoolThreads, ManyShortLivedThreadsReuseSlots_POOL03)
{
    NblPool pool(NblParams(TRUE, 128, 16));
    NbPool nbpool(NbParams(64));
    ASSERT_NE(pool.get(), nullptr);
    ASSERT_NE(nbpool.get(), nullptr);
    const OPENNDIS_STATS before = Stats();
    std::mutex lock;
    std::set<PNET_BUFFER_LIST> seen;
    std::atomic<int> failures{0};
    constexpr int kWaves = 5; // 5 × 64 = 320 threads > the runtime's 256 thread slots
    constexpr int kThreads = 64;
    constexpr int kPerThread = 50;
    for (int wave = 0; wave < kWaves; ++wave) {
        std::vector<std::thread> threads;
        for (int t = 0; t < kThreads; ++t) {
            threads.emplace_back([&, t] {
                std::vector<PNET_BUFFER_LIST> mine;
                std::vector<PNET_BUFFER> nbs;
                unsigned char buf[16];
                for (int i = 0; i < kPerThread; ++i) {
                    PNET_BUFFER_LIST n = NdisAllocateNetBufferList(pool.get(), 16, 0);
                    PNET_BUFFER nb = NdisAllocateNetBufferMdlAndData(nbpool.get());
                    if (n == nullptr || nb == nullptr) {
                        ++failures;
                        if (n) NdisFreeNetBufferList(n);
                        if (nb) NdisFreeNetBuffer(nb);
                        continue;
                    }
                    if (n->Scratch != nullptr || n->ProtocolReserved[0] != nullptr) ++failures;
                    n->ProtocolReserved[0] = reinterpret_cast<PVOID>(static_cast<ULONG_PTR>(t + 1));
                    *NET_BUFFER_LIST_CONTEXT_DATA_START(n) = static_cast<UCHAR>(t);
                    mine.push_back(n);
                    nbs.push_back(nb);
                }
                PMDL m = NdisAllocateMdl(nullptr, buf, sizeof buf);
                if (m == nullptr) ++failures;
                for (PNET_BUFFER_LIST n : mine) {
                    if (n->ProtocolReserved[0] != reinterpret_cast<PVOID>(static_cast<ULONG_PTR>(t + 1)) ||
                        *NET_BUFFER_LIST_CONTEXT_DATA_START(n) != static_cast<UCHAR>(t)) {
                        ++failures; // another thread got the same NBL
                    }
                }
                {
                    std::lock_guard<std::mutex> g(lock);
                    seen.insert(mine.begin(), mine.end());
                }
                for (PNET_BUFFER_LIST n : mine) NdisFreeNetBufferList(n);
                for (PNET_BUFFER nb : nbs) NdisFreeNetBuffer(nb);
                if (m) NdisFreeMdl(m);
            });
        }
        for (std::thread &th : threads) th.join();
        const OPENNDIS_STATS mid = Stats();
        EXPECT_EQ(mid.Nbls, before.Nbls) << "wave " << wave;
        EXPECT_EQ(mid.Nbs, before.Nbs) << "wave " << wave;
        EXPECT_EQ(mid.Mdls, before.Mdls) << "wave " << wave;
    }
    EXPECT_EQ(failures.load(), 0);
    // Elements cached by exited threads were handed to later threads: far fewer distinct NBLs
    // than allocations.
    EXPECT_LT(seen.size(), static_cast<std::size_t>(kWaves * kThreads * kPerThread) / 2);
}

TEST(PoolThreads, ConcurrentProducersAndConsumers_POOL03)
{
    NblPool pool(NblParams(TRUE, 64));
    ASSERT_NE(pool.get(), nullptr);
    const OPENNDIS_STATS before = Stats();
    std::mutex lock;
    std::vector<PNET_BUFFER_LIST> queue;
    std::atomic<int> produced{0};
    std::atomic<bool> done{false};
    std::atomic<int> bad{0};
    constexpr int kPerProducer = 20000;
    auto producer = [&] {
        for (int i = 0; i < kPerProducer; ++i) {
            PNET_BUFFER_LIST n = NdisAllocateNetBufferList(pool.get(), 0, 0);
            if (n == nullptr) {
                ++bad;
                continue;
            }
            if (n->SourceHandle != nullptr) ++bad;
            n->SourceHandle = n; // a per-NBL mark checked by the consumer
            std::lock_guard<std::mutex> g(lock);
            queue.push_back(n);
            ++produced;
        }
    };
    auto consumer = [&] {
        for (;;) {
            PNET_BUFFER_LIST n = nullptr;
            {
                std::lock_guard<std::mutex> g(lock);
                if (!queue.empty()) {
                    n = queue.back();
                    queue.pop_back();
                }
            }
            if (n == nullptr) {
                if (done.load()) {
                    std::lock_guard<std::mutex> g(lock);
                    if (queue.empty()) return;
                    continue;
                }
                std::this_thread::yield();
                continue;
            }
            if (n->SourceHandle != n) ++bad;
            n->SourceHandle = nullptr;
            NdisFreeNetBufferList(n);
        }
    };
    std::thread p1(producer), p2(producer), c1(consumer), c2(consumer);
    p1.join();
    p2.join();
    done = true;
    c1.join();
    c2.join();
    EXPECT_EQ(produced.load(), 2 * kPerProducer);
    EXPECT_EQ(bad.load(), 0);
    EXPECT_EQ(Stats().Nbls, before.Nbls);
}

TEST(PoolThreads, RacingDoubleFreeIsReportedOnce_POOL08)
{
    NblPool pool(NblParams(FALSE, 0));
    ASSERT_NE(pool.get(), nullptr);
    constexpr int kRounds = 200;
    VerifierCapture cap;
    for (int r = 0; r < kRounds; ++r) {
        PNET_BUFFER_LIST nbl = NdisAllocateNetBufferList(pool.get(), 0, 0);
        ASSERT_NE(nbl, nullptr);
        std::atomic<int> ready{0};
        auto racer = [&] {
            ++ready;
            while (ready.load() < 2) {
            }
            NdisFreeNetBufferList(nbl);
        };
        std::thread a(racer), b(racer);
        a.join();
        b.join();
    }
    EXPECT_EQ(cap.size(), static_cast<std::size_t>(kRounds));
    EXPECT_EQ(cap.count("POOL-08"), static_cast<std::size_t>(kRounds));
    EXPECT_EQ(Live().Nbls, 0u);
    // The pool is consistent: kRounds + 10 allocations are all distinct.
    std::vector<PNET_BUFFER_LIST> v;
    for (int i = 0; i < kRounds + 10; ++i) v.push_back(NdisAllocateNetBufferList(pool.get(), 0, 0));
    std::set<PNET_BUFFER_LIST> distinct(v.begin(), v.end());
    EXPECT_EQ(distinct.size(), v.size());
    for (PNET_BUFFER_LIST n : v) NdisFreeNetBufferList(n);
}

TEST(PoolThreads, MoreLiveThreadsThanThreadSlots_POOL03)
{
    // 300 threads alive at once: more than the runtime's per-thread cache slots (256), so some
    // take the locked path. Everything must still work and balance.
    NblPool pool(NblParams(TRUE, 32, 16));
    ASSERT_NE(pool.get(), nullptr);
    const OPENNDIS_STATS before = Stats();
    constexpr int kThreads = 300;
    std::atomic<int> arrived{0};
    std::atomic<bool> go{false};
    std::atomic<int> failures{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) {
        threads.emplace_back([&, t] {
            PNET_BUFFER_LIST mine[8];
            for (auto &n : mine) {
                n = NdisAllocateNetBufferList(pool.get(), 16, 0);
                if (n == nullptr) {
                    ++failures;
                } else {
                    n->MiniportReserved[0] = reinterpret_cast<PVOID>(static_cast<ULONG_PTR>(t + 1));
                }
            }
            ++arrived;
            while (!go.load()) std::this_thread::yield();
            for (auto &n : mine) {
                if (n == nullptr) continue;
                if (n->MiniportReserved[0] != reinterpret_cast<PVOID>(static_cast<ULONG_PTR>(t + 1)))
                    ++failures;
                NdisFreeNetBufferList(n);
            }
        });
    }
    while (arrived.load() < kThreads) std::this_thread::yield();
    EXPECT_EQ(Stats().Nbls, before.Nbls + kThreads * 8);
    go = true;
    for (std::thread &th : threads) th.join();
    EXPECT_EQ(failures.load(), 0);
    EXPECT_EQ(Stats().Nbls, before.Nbls);
}

} // namespace
