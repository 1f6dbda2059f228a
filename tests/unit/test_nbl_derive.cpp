// test_nbl_derive.cpp — clones, fragments, reassembled NBLs and the OOB copy functions
// (SPEC POOL-14 … POOL-21, DS-24, DS-32/33, §16 point 9; semantics decided in
// src/core/nbl_derive.cpp).
//
// Source NBLs are real pool objects: a kind-(a) NBL whose NBs come from NdisAllocateNetBuffer
// over MDLs from NdisAllocateMdl, which describe test-owned byte arrays filled with a known
// pattern (byte j of source NB i is pattern(i, j)). The checks read derived NBs byte by byte
// through their own MDL chains, compare addresses (no copy), and compare the runtime's
// live-object counters (OpenNdisGetStats) before and after. The harness (tests/support) fails
// any test that leaks or produces an unexpected verifier report.
#include "openndis_test.hpp"

#include <openndis/runtime.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <cstring>
#include <memory>
#include <vector>

#include <ndis.h>

#include "core/object.hpp"

namespace {

using openndis::test::VerifierCapture;
using bytes = std::vector<std::uint8_t>;

std::uint8_t pattern(std::size_t nb_index, std::size_t j)
{
    return static_cast<std::uint8_t>(0x11 + nb_index * 0x40 + j * 3);
}

// ---- pools ----------------------------------------------------------------------------------

NDIS_HANDLE make_nbl_pool(bool allocate_nb, ULONG data_size, USHORT context_size = 0)
{
    NET_BUFFER_LIST_POOL_PARAMETERS p{};
    p.Header.Type = NDIS_OBJECT_TYPE_DEFAULT;
    p.Header.Revision = NET_BUFFER_LIST_POOL_PARAMETERS_REVISION_1;
    p.Header.Size = NDIS_SIZEOF_NET_BUFFER_LIST_POOL_PARAMETERS_REVISION_1;
    p.fAllocateNetBuffer = allocate_nb ? TRUE : FALSE;
    p.DataSize = data_size;
    p.ContextSize = context_size;
    p.PoolTag = 'tdrD';
    return NdisAllocateNetBufferListPool(nullptr, &p);
}

NDIS_HANDLE make_nb_pool(ULONG data_size)
{
    NET_BUFFER_POOL_PARAMETERS p{};
    p.Header.Type = NDIS_OBJECT_TYPE_DEFAULT;
    p.Header.Revision = NET_BUFFER_POOL_PARAMETERS_REVISION_1;
    p.Header.Size = NDIS_SIZEOF_NET_BUFFER_POOL_PARAMETERS_REVISION_1;
    p.DataSize = data_size;
    p.PoolTag = 'bdrD';
    return NdisAllocateNetBufferPool(nullptr, &p);
}

OPENNDIS_STATS stats()
{
    return openndis::test::live_objects();
}

// ---- source NBLs ----------------------------------------------------------------------------

// One source NB: MDL lengths (0 allowed) over one byte array, and the used-data window.
struct nb_spec {
    std::vector<ULONG> mdls;
    ULONG data_offset;
    ULONG data_length;
};

// A kind-(a) NBL with one NB per spec, built from the test's pools; frees everything it made.
class source {
public:
    source(NDIS_HANDLE nbl_pool, NDIS_HANDLE nb_pool, const std::vector<nb_spec> &specs)
    {
        nbl = NdisAllocateNetBufferList(nbl_pool, 0, 0);
        EXPECT_NE(nbl, nullptr);
        PNET_BUFFER *tail = &nbl->FirstNetBuffer;
        for (std::size_t i = 0; i < specs.size(); ++i) {
            const nb_spec &s = specs[i];
            ULONG total = 0;
            for (ULONG n : s.mdls) {
                total += n;
            }
            auto &buffer = buffers.emplace_back(std::make_unique<std::uint8_t[]>(total + 1));
            for (ULONG j = 0; j < total; ++j) {
                buffer[j] = pattern(i, j);
            }
            PMDL chain = nullptr;
            PMDL *link = &chain;
            ULONG at = 0;
            for (ULONG n : s.mdls) {
                PMDL m = NdisAllocateMdl(nullptr, buffer.get() + at, n);
                EXPECT_NE(m, nullptr);
                mdls.push_back(m);
                *link = m;
                link = &m->Next;
                at += n;
            }
            PNET_BUFFER nb = NdisAllocateNetBuffer(nb_pool, chain, s.data_offset, s.data_length);
            EXPECT_NE(nb, nullptr);
            nbs.push_back(nb);
            *tail = nb;
            tail = &nb->Next;
        }
    }
    source(const source &) = delete;
    source &operator=(const source &) = delete;
    ~source()
    {
        for (PNET_BUFFER nb : nbs) {
            nb->Next = nullptr;
            NdisFreeNetBuffer(nb);
        }
        for (PMDL m : mdls) {
            NdisFreeMdl(m);
        }
        nbl->FirstNetBuffer = nullptr;
        NdisFreeNetBufferList(nbl);
    }

    // Byte j of the array behind source NB i (index in the whole array, not the used data).
    std::uint8_t *byte(std::size_t i, std::size_t j) { return buffers.at(i).get() + j; }

    PNET_BUFFER_LIST nbl = nullptr;
    std::vector<PNET_BUFFER> nbs;
    std::vector<PMDL> mdls;
    std::vector<std::unique_ptr<std::uint8_t[]>> buffers;
};

// ---- reading NBs ----------------------------------------------------------------------------

std::uint8_t *mdl_va(PMDL m)
{
    return static_cast<std::uint8_t *>(MmGetSystemAddressForMdlSafe(m, NormalPagePriority));
}

// The used data of an NB, read from CurrentMdl/CurrentMdlOffset through its MDL chain.
bytes data_of(const NET_BUFFER *nb)
{
    bytes out;
    PMDL m = nb->CurrentMdl;
    ULONG offset = nb->CurrentMdlOffset;
    ULONG left = nb->DataLength;
    while (left != 0) {
        if (m == nullptr) {
            ADD_FAILURE() << "MDL chain ends " << left << " bytes before DataLength";
            break;
        }
        const ULONG avail = m->ByteCount > offset ? m->ByteCount - offset : 0;
        const ULONG n = std::min(avail, left);
        out.insert(out.end(), mdl_va(m) + offset, mdl_va(m) + offset + n);
        left -= n;
        m = m->Next;
        offset = 0;
    }
    return out;
}

// Address of the first used byte.
std::uint8_t *first_byte(const NET_BUFFER *nb)
{
    return mdl_va(nb->CurrentMdl) + nb->CurrentMdlOffset;
}

// DS-03 / DS-04: DataOffset agrees with CurrentMdl/CurrentMdlOffset, the window fits the chain.
::testing::AssertionResult geometry_ok(const NET_BUFFER *nb)
{
    std::uint64_t before = 0, total = 0;
    bool found = nb->MdlChain == nullptr && nb->CurrentMdl == nullptr;
    for (PMDL m = nb->MdlChain; m != nullptr; m = m->Next) {
        if (m == nb->CurrentMdl && !found) {
            found = true;
            before = total;
        }
        total += m->ByteCount;
    }
    if (!found) {
        return ::testing::AssertionFailure() << "CurrentMdl not on the chain";
    }
    if (before + nb->CurrentMdlOffset != nb->DataOffset) {
        return ::testing::AssertionFailure()
               << "DataOffset " << nb->DataOffset << " != " << before << " + "
               << nb->CurrentMdlOffset;
    }
    if (std::uint64_t{nb->DataOffset} + nb->DataLength > total) {
        return ::testing::AssertionFailure() << "window beyond chain";
    }
    return ::testing::AssertionSuccess();
}

std::vector<PNET_BUFFER> nbs_of(const NET_BUFFER_LIST *nbl)
{
    std::vector<PNET_BUFFER> out;
    for (PNET_BUFFER nb = nbl->FirstNetBuffer; nb != nullptr; nb = nb->Next) {
        out.push_back(nb);
    }
    return out;
}

std::size_t chain_length(PMDL m)
{
    std::size_t n = 0;
    for (; m != nullptr; m = m->Next) {
        ++n;
    }
    return n;
}

bool chain_contains(PMDL chain, PMDL m)
{
    for (; chain != nullptr; chain = chain->Next) {
        if (chain == m) {
            return true;
        }
    }
    return false;
}

// The used data of source NB i as the pattern says (window [offset, offset + length)).
bytes expected(std::size_t i, ULONG offset, ULONG length)
{
    bytes out;
    for (ULONG j = 0; j < length; ++j) {
        out.push_back(pattern(i, offset + j));
    }
    return out;
}

// DS-24 / POOL-14 / §16 point 9: what every derived NBL looks like when it is handed out.
void expect_fresh_derived_nbl(const NET_BUFFER_LIST *nbl)
{
    EXPECT_EQ(nbl->Context, nullptr);
    EXPECT_EQ(nbl->ParentNetBufferList, nullptr);
    EXPECT_EQ(nbl->ChildRefCount, 0);
    EXPECT_EQ(nbl->SourceHandle, nullptr);
    EXPECT_EQ(nbl->NblFlags, 0u);
    EXPECT_EQ(nbl->Flags, 0u);
    EXPECT_EQ(nbl->Status, NDIS_STATUS_SUCCESS);
    EXPECT_EQ(nbl->Scratch, nullptr);
    EXPECT_EQ(nbl->Next, nullptr);
    for (int i = 0; i < MaxNetBufferListInfo; ++i) {
        EXPECT_EQ(nbl->NetBufferListInfo[i], nullptr) << "info slot " << i;
    }
}

std::uint8_t header_flags(const NET_BUFFER_LIST *nbl)
{
    return ndis::core::header_of(nbl)->flags;
}

// Snapshot of the source NB fields and MDLs, to prove a derived NBL left them alone.
struct nb_snapshot {
    PMDL chain, current;
    ULONG current_offset, offset, length;
    std::vector<std::pair<PMDL, ULONG>> mdls; // (Next, ByteCount)
};
nb_snapshot snapshot(const NET_BUFFER *nb)
{
    nb_snapshot s{nb->MdlChain, nb->CurrentMdl, nb->CurrentMdlOffset, nb->DataOffset,
                  nb->DataLength, {}};
    for (PMDL m = nb->MdlChain; m != nullptr; m = m->Next) {
        s.mdls.emplace_back(m->Next, m->ByteCount);
    }
    return s;
}
void expect_same(const nb_snapshot &a, const NET_BUFFER *nb)
{
    const nb_snapshot b = snapshot(nb);
    EXPECT_EQ(a.chain, b.chain);
    EXPECT_EQ(a.current, b.current);
    EXPECT_EQ(a.current_offset, b.current_offset);
    EXPECT_EQ(a.offset, b.offset);
    EXPECT_EQ(a.length, b.length);
    EXPECT_EQ(a.mdls, b.mdls);
}

// ---- fixture --------------------------------------------------------------------------------

class Derive : public ::testing::Test {
protected:
    void SetUp() override
    {
        pool_a = make_nbl_pool(false, 0);
        pool_b = make_nbl_pool(true, 0);
        pool_c = make_nbl_pool(true, 256);
        nb_pool = make_nb_pool(0);
        nb_data_pool = make_nb_pool(128);
        ASSERT_TRUE(pool_a && pool_b && pool_c && nb_pool && nb_data_pool);
    }
    void TearDown() override
    {
        NdisFreeNetBufferListPool(pool_a);
        NdisFreeNetBufferListPool(pool_b);
        NdisFreeNetBufferListPool(pool_c);
        NdisFreeNetBufferPool(nb_pool);
        NdisFreeNetBufferPool(nb_data_pool);
    }

    // NB0: 20 bytes over MDLs [4, 0, 6, 5, 5]; used data [2, 12): starts mid-MDL, crosses a
    // zero-length MDL, ends inside the 4th MDL (the 5th holds no used byte).
    // NB1: 7 bytes in one MDL, all used.
    std::unique_ptr<source> two_nb_source()
    {
        return std::make_unique<source>(
            pool_a, nb_pool, std::vector<nb_spec>{{{4, 0, 6, 5, 5}, 2, 10}, {{7}, 0, 7}});
    }

    NDIS_HANDLE pool_a = nullptr, pool_b = nullptr, pool_c = nullptr;
    NDIS_HANDLE nb_pool = nullptr, nb_data_pool = nullptr;
};

// =============================== clones (POOL-14, POOL-15) ===================================

TEST_F(Derive, CloneNewMdlsDescribeSameBytesWithoutCopy_POOL14)
{
    auto src = two_nb_source();
    const nb_snapshot s0 = snapshot(src->nbs[0]), s1 = snapshot(src->nbs[1]);
    const OPENNDIS_STATS before = stats();

    PNET_BUFFER_LIST clone = NdisAllocateCloneNetBufferList(src->nbl, nullptr, nullptr, 0);
    ASSERT_NE(clone, nullptr);
    expect_fresh_derived_nbl(clone);
    EXPECT_NE(header_flags(clone) & ndis::core::kFlagClone, 0);
    EXPECT_EQ(header_flags(clone) & ndis::core::kFlagCloneOriginalMdls, 0);

    const auto nbs = nbs_of(clone);
    ASSERT_EQ(nbs.size(), 2u);
    // NB0: MDLs copied from CurrentMdl (the first) through the one holding byte 11 (the 4th,
    // zero-length one included), not the 5th; same addresses and ByteCounts, none shared.
    EXPECT_EQ(chain_length(nbs[0]->MdlChain), 4u);
    PMDL o = src->nbs[0]->CurrentMdl;
    for (PMDL c = nbs[0]->MdlChain; c != nullptr; c = c->Next, o = o->Next) {
        EXPECT_FALSE(chain_contains(src->nbs[0]->MdlChain, c));
        EXPECT_EQ(mdl_va(c), mdl_va(o));
        EXPECT_EQ(c->ByteCount, o->ByteCount);
    }
    EXPECT_EQ(nbs[0]->CurrentMdl, nbs[0]->MdlChain);
    EXPECT_EQ(nbs[0]->DataOffset, 2u);
    EXPECT_EQ(nbs[0]->CurrentMdlOffset, 2u);
    EXPECT_EQ(nbs[0]->DataLength, 10u);
    EXPECT_TRUE(geometry_ok(nbs[0]));
    EXPECT_EQ(data_of(nbs[0]), expected(0, 2, 10));
    EXPECT_EQ(first_byte(nbs[0]), src->byte(0, 2)); // no copy
    EXPECT_EQ(chain_length(nbs[1]->MdlChain), 1u);
    EXPECT_EQ(nbs[1]->DataLength, 7u);
    EXPECT_EQ(data_of(nbs[1]), expected(1, 0, 7));
    EXPECT_EQ(first_byte(nbs[1]), src->byte(1, 0));

    const OPENNDIS_STATS during = stats();
    EXPECT_EQ(during.Nbls, before.Nbls + 1);
    EXPECT_EQ(during.Nbs, before.Nbs + 2);
    EXPECT_EQ(during.Mdls, before.Mdls + 5);

    // Write through the original buffer, read the clone.
    *src->byte(0, 9) = 0xA5;
    *src->byte(1, 6) = 0x5A;
    EXPECT_EQ(data_of(nbs[0])[7], 0xA5);
    EXPECT_EQ(data_of(nbs[1])[6], 0x5A);

    NdisFreeCloneNetBufferList(clone, 0);
    const OPENNDIS_STATS after = stats();
    EXPECT_EQ(after.Nbls, before.Nbls);
    EXPECT_EQ(after.Nbs, before.Nbs);
    EXPECT_EQ(after.Mdls, before.Mdls);
    expect_same(s0, src->nbs[0]); // the original's NBs and MDLs are untouched
    expect_same(s1, src->nbs[1]);
}

TEST_F(Derive, CloneUseOriginalMdlsSharesTheChain_POOL14_POOL15)
{
    auto src = two_nb_source();
    const nb_snapshot s0 = snapshot(src->nbs[0]);
    const OPENNDIS_STATS before = stats();

    PNET_BUFFER_LIST clone = NdisAllocateCloneNetBufferList(src->nbl, nullptr, nullptr,
                                                            NDIS_CLONE_FLAGS_USE_ORIGINAL_MDLS);
    ASSERT_NE(clone, nullptr);
    expect_fresh_derived_nbl(clone);
    EXPECT_NE(header_flags(clone) & ndis::core::kFlagCloneOriginalMdls, 0);
    EXPECT_EQ(stats().Mdls, before.Mdls); // no MDL allocated

    const auto nbs = nbs_of(clone);
    ASSERT_EQ(nbs.size(), 2u);
    for (std::size_t i = 0; i < 2; ++i) {
        EXPECT_NE(nbs[i], src->nbs[i]);
        EXPECT_EQ(nbs[i]->MdlChain, src->nbs[i]->CurrentMdl);
        EXPECT_EQ(nbs[i]->CurrentMdl, src->nbs[i]->CurrentMdl);
        EXPECT_EQ(nbs[i]->DataOffset, src->nbs[i]->CurrentMdlOffset);
        EXPECT_EQ(nbs[i]->CurrentMdlOffset, src->nbs[i]->CurrentMdlOffset);
        EXPECT_EQ(nbs[i]->DataLength, src->nbs[i]->DataLength);
        EXPECT_TRUE(geometry_ok(nbs[i]));
    }
    EXPECT_EQ(data_of(nbs[0]), expected(0, 2, 10));
    EXPECT_EQ(data_of(nbs[1]), expected(1, 0, 7));
    *src->byte(0, 2) = 0x77;
    EXPECT_EQ(data_of(nbs[0])[0], 0x77);

    NdisFreeCloneNetBufferList(clone, NDIS_CLONE_FLAGS_USE_ORIGINAL_MDLS);
    EXPECT_EQ(stats().Nbs, before.Nbs);
    expect_same(s0, src->nbs[0]); // MDLs not freed: the source frees them (harness checks)
}

TEST_F(Derive, CloneOfAClone_POOL14_POOL17)
{
    auto src = two_nb_source();
    PNET_BUFFER_LIST first = NdisAllocateCloneNetBufferList(src->nbl, nullptr, nullptr, 0);
    ASSERT_NE(first, nullptr);
    // POOL-16/17: parent bookkeeping is the caller's; a child may itself be a parent.
    first->ParentNetBufferList = src->nbl;
    src->nbl->ChildRefCount++;

    PNET_BUFFER_LIST second = NdisAllocateCloneNetBufferList(first, nullptr, nullptr, 0);
    PNET_BUFFER_LIST shared = NdisAllocateCloneNetBufferList(first, nullptr, nullptr,
                                                             NDIS_CLONE_FLAGS_USE_ORIGINAL_MDLS);
    ASSERT_NE(second, nullptr);
    ASSERT_NE(shared, nullptr);
    EXPECT_EQ(second->ParentNetBufferList, nullptr); // not inherited (DS-24)
    for (PNET_BUFFER_LIST c : {second, shared}) {
        const auto nbs = nbs_of(c);
        ASSERT_EQ(nbs.size(), 2u);
        EXPECT_EQ(data_of(nbs[0]), expected(0, 2, 10));
        EXPECT_EQ(data_of(nbs[1]), expected(1, 0, 7));
        EXPECT_EQ(first_byte(nbs[0]), src->byte(0, 2));
    }
    EXPECT_EQ(nbs_of(shared)[0]->MdlChain, nbs_of(first)[0]->MdlChain);

    // Free the first clone's children first, then it: its MDLs (shared by `shared`) go with it.
    NdisFreeCloneNetBufferList(shared, NDIS_CLONE_FLAGS_USE_ORIGINAL_MDLS);
    NdisFreeCloneNetBufferList(second, 0);
    NdisFreeCloneNetBufferList(first, 0);
    src->nbl->ChildRefCount--;
}

TEST_F(Derive, CloneWithCallerPoolsVsNullPools_POOL14)
{
    auto src = two_nb_source();
    // Kind (b) NBL pool: its preallocated NB becomes the clone of the first source NB.
    PNET_BUFFER_LIST mine = NdisAllocateCloneNetBufferList(src->nbl, pool_b, nb_pool, 0);
    ASSERT_NE(mine, nullptr);
    expect_fresh_derived_nbl(mine);
    EXPECT_EQ(NdisGetPoolFromNetBufferList(mine), pool_b);
    auto nbs = nbs_of(mine);
    ASSERT_EQ(nbs.size(), 2u);
    EXPECT_EQ(NdisGetPoolFromNetBuffer(nbs[0]), pool_b);
    EXPECT_NE(ndis::core::header_of(nbs[0])->flags & ndis::core::kFlagPreallocated, 0);
    EXPECT_EQ(NdisGetPoolFromNetBuffer(nbs[1]), nb_pool);
    EXPECT_EQ(data_of(nbs[0]), expected(0, 2, 10));
    EXPECT_EQ(data_of(nbs[1]), expected(1, 0, 7));

    // Kind (a) NBL pool and NULL NB pool.
    PNET_BUFFER_LIST mixed = NdisAllocateCloneNetBufferList(src->nbl, pool_a, nullptr,
                                                            NDIS_CLONE_FLAGS_USE_ORIGINAL_MDLS);
    ASSERT_NE(mixed, nullptr);
    EXPECT_EQ(NdisGetPoolFromNetBufferList(mixed), pool_a);
    EXPECT_NE(NdisGetPoolFromNetBuffer(mixed->FirstNetBuffer), nb_pool);

    // NULL pools: runtime-owned pools.
    PNET_BUFFER_LIST theirs = NdisAllocateCloneNetBufferList(src->nbl, nullptr, nullptr, 0);
    ASSERT_NE(theirs, nullptr);
    for (NDIS_HANDLE p : {pool_a, pool_b, pool_c}) {
        EXPECT_NE(NdisGetPoolFromNetBufferList(theirs), p);
    }
    EXPECT_NE(NdisGetPoolFromNetBufferList(theirs), nullptr);
    EXPECT_NE(NdisGetPoolFromNetBuffer(theirs->FirstNetBuffer), nb_pool);
    EXPECT_EQ(data_of(nbs_of(theirs)[1]), expected(1, 0, 7));

    NdisFreeCloneNetBufferList(mine, 0);
    NdisFreeCloneNetBufferList(mixed, NDIS_CLONE_FLAGS_USE_ORIGINAL_MDLS);
    NdisFreeCloneNetBufferList(theirs, 0);
}

TEST_F(Derive, CloneEdgeShapes_POOL14)
{
    // An NB with no MDL chain, an NB with DataLength 0 at the very end of its chain, and an NB
    // whose data starts right after a zero-length MDL.
    source src(pool_a, nb_pool,
               {{{}, 0, 0}, {{5, 3}, 8, 0}, {{0, 6}, 1, 5}});
    for (ULONG flags : {ULONG{0}, ULONG{NDIS_CLONE_FLAGS_USE_ORIGINAL_MDLS}}) {
        PNET_BUFFER_LIST clone = NdisAllocateCloneNetBufferList(src.nbl, pool_b, nullptr, flags);
        ASSERT_NE(clone, nullptr);
        const auto nbs = nbs_of(clone);
        ASSERT_EQ(nbs.size(), 3u);
        EXPECT_EQ(nbs[0]->MdlChain, nullptr);
        EXPECT_EQ(nbs[0]->DataLength, 0u);
        EXPECT_EQ(nbs[1]->DataLength, 0u);
        EXPECT_EQ(chain_length(nbs[1]->MdlChain), 1u); // at least one MDL (CurrentMdl)
        EXPECT_EQ(data_of(nbs[2]), expected(2, 1, 5));
        for (PNET_BUFFER nb : nbs) {
            EXPECT_TRUE(geometry_ok(nb));
        }
        NdisFreeCloneNetBufferList(clone, flags);
    }
    // A source NBL without NBs: a clone without NBs, even from a kind-(b) pool.
    PNET_BUFFER_LIST empty = NdisAllocateNetBufferList(pool_a, 0, 0);
    ASSERT_NE(empty, nullptr);
    PNET_BUFFER_LIST clone = NdisAllocateCloneNetBufferList(empty, pool_b, nullptr, 0);
    ASSERT_NE(clone, nullptr);
    EXPECT_EQ(clone->FirstNetBuffer, nullptr);
    NdisFreeCloneNetBufferList(clone, 0);
    NdisFreeNetBufferList(empty);
}

TEST_F(Derive, CloneRejectsBadArguments_POOL14)
{
    auto src = two_nb_source();
    {
        VerifierCapture cap;
        EXPECT_EQ(NdisAllocateCloneNetBufferList(src->nbl, nullptr, nullptr,
                                                 NDIS_CLONE_FLAGS_RESERVED),
                  nullptr);
        EXPECT_EQ(NdisAllocateCloneNetBufferList(src->nbl, nullptr, nullptr, 0x80), nullptr);
        EXPECT_VERIFIER_REPORTS(cap, "POOL-14", "POOL-14"); // clone_bad_flags
    }
    {
        VerifierCapture cap;
        EXPECT_EQ(NdisAllocateCloneNetBufferList(src->nbl, pool_c, nullptr, 0), nullptr);
        EXPECT_VERIFIER_REPORTS(cap, "POOL-06"); // pool_wrong_kind: kind (c)
    }
    {
        VerifierCapture cap;
        EXPECT_EQ(NdisAllocateCloneNetBufferList(src->nbl, nullptr, nb_data_pool, 0), nullptr);
        EXPECT_VERIFIER_REPORTS(cap, "POOL-11"); // NB pool with DataSize != 0
    }
    // Not tested here: a handle of the wrong type (an NB pool as the NBL pool …) is reported
    // POOL-03 by nbl_pool/nb_pool::from_handle, but that check reads the magic through a
    // pointer of the wrong class, which -fsanitize=undefined (vptr) aborts on.
    {
        VerifierCapture cap;
        EXPECT_EQ(NdisAllocateCloneNetBufferList(nullptr, nullptr, nullptr, 0), nullptr);
        alignas(16) static NET_BUFFER_LIST on_the_stack{};
        EXPECT_EQ(NdisAllocateCloneNetBufferList(&on_the_stack, nullptr, nullptr, 0), nullptr);
        EXPECT_VERIFIER_REPORTS(cap, "VER-03", "DS-27");
    }
}

TEST_F(Derive, CloneFreedWithWrongFlagsIsReportedAndLeaksNothing_POOL15)
{
    auto src = two_nb_source();
    const nb_snapshot s0 = snapshot(src->nbs[0]);
    const OPENNDIS_STATS before = stats();
    {
        // Allocated with new MDLs, freed as if sharing: reported; the clone MDLs still go.
        PNET_BUFFER_LIST clone = NdisAllocateCloneNetBufferList(src->nbl, nullptr, nullptr, 0);
        ASSERT_NE(clone, nullptr);
        VerifierCapture cap;
        NdisFreeCloneNetBufferList(clone, NDIS_CLONE_FLAGS_USE_ORIGINAL_MDLS);
        EXPECT_VERIFIER_REPORTS(cap, "POOL-15");
        EXPECT_EQ(stats().Mdls, before.Mdls);
    }
    {
        // Allocated sharing the original MDLs, freed with 0: reported; the original's MDLs stay.
        PNET_BUFFER_LIST clone = NdisAllocateCloneNetBufferList(
            src->nbl, pool_b, nb_pool, NDIS_CLONE_FLAGS_USE_ORIGINAL_MDLS);
        ASSERT_NE(clone, nullptr);
        VerifierCapture cap;
        NdisFreeCloneNetBufferList(clone, 0);
        EXPECT_VERIFIER_REPORTS(cap, "POOL-15");
        EXPECT_EQ(stats().Mdls, before.Mdls);
        expect_same(s0, src->nbs[0]);
    }
    const OPENNDIS_STATS after = stats();
    EXPECT_EQ(after.Nbls, before.Nbls);
    EXPECT_EQ(after.Nbs, before.Nbs);
}

// Pool handles of the wrong kind (an NB pool where an NBL pool belongs, and the reverse) and
// handles that are not pools at all are recognised and reported, never dereferenced as pools.
TEST_F(Derive, WrongKindOfPoolHandleIsReported_POOL03_POOL14)
{
    auto src = two_nb_source();
    int not_a_pool[16] = {};
    {
        VerifierCapture cap;
        EXPECT_EQ(NdisAllocateCloneNetBufferList(src->nbl, nb_pool, nullptr, 0), nullptr);
        EXPECT_EQ(NdisAllocateCloneNetBufferList(src->nbl, nullptr, pool_a, 0), nullptr);
        EXPECT_EQ(NdisAllocateCloneNetBufferList(src->nbl, not_a_pool, nullptr, 0), nullptr);
        EXPECT_VERIFIER_REPORTS(cap, "POOL-03", "POOL-03", "POOL-03");
    }
}

// NdisFreeNetBufferList on a derived NBL would leak its NBs and MDLs: it is reported as the
// wrong free function and the NBL is then freed the right way (nothing leaks; the harness checks).
TEST_F(Derive, PlainFreeOfDerivedNblIsReportedAndFreesItCompletely_POOL15_POOL19_POOL20)
{
    auto src = two_nb_source();
    {
        VerifierCapture cap;
        PNET_BUFFER_LIST clone = NdisAllocateCloneNetBufferList(src->nbl, nullptr, nullptr, 0);
        ASSERT_NE(clone, nullptr);
        NdisFreeNetBufferList(clone);
        EXPECT_VERIFIER_REPORTS(cap, "POOL-15");
    }
    {
        VerifierCapture cap;
        PNET_BUFFER_LIST frags =
            NdisAllocateFragmentNetBufferList(src->nbl, nullptr, nullptr, 0, 4, 0, 0, 0);
        ASSERT_NE(frags, nullptr);
        NdisFreeNetBufferList(frags);
        EXPECT_VERIFIER_REPORTS(cap, "POOL-19");
    }
    {
        VerifierCapture cap;
        PNET_BUFFER_LIST whole = NdisAllocateReassembledNetBufferList(src->nbl, nullptr, 0, 0, 0, 0);
        ASSERT_NE(whole, nullptr);
        NdisFreeNetBufferList(whole);
        EXPECT_VERIFIER_REPORTS(cap, "POOL-20");
    }
}

TEST_F(Derive, FreeCloneOfSomethingElseIsReportedAndFreesNothing_POOL15)
{
    auto src = two_nb_source();
    PNET_BUFFER_LIST plain = NdisAllocateNetBufferList(pool_a, 0, 0);
    PNET_BUFFER_LIST frag =
        NdisAllocateFragmentNetBufferList(src->nbl, nullptr, nullptr, 0, 4, 0, 0, 0);
    ASSERT_NE(plain, nullptr);
    ASSERT_NE(frag, nullptr);
    const OPENNDIS_STATS before = stats();
    {
        VerifierCapture cap;
        NdisFreeCloneNetBufferList(plain, 0);
        NdisFreeCloneNetBufferList(frag, 0);
        NdisFreeCloneNetBufferList(src->nbl, 0);
        EXPECT_VERIFIER_REPORTS(cap, "POOL-15", "POOL-15", "POOL-15"); // clone_free_wrong_api
    }
    const OPENNDIS_STATS after = stats();
    EXPECT_EQ(after.Nbls, before.Nbls);
    EXPECT_EQ(after.Nbs, before.Nbs);
    EXPECT_EQ(after.Mdls, before.Mdls);
    NdisFreeNetBufferList(plain);
    NdisFreeFragmentNetBufferList(frag, 0, 0);

    // A clone freed twice: the second call is reported and touches nothing.
    PNET_BUFFER_LIST clone = NdisAllocateCloneNetBufferList(src->nbl, nullptr, nullptr, 0);
    ASSERT_NE(clone, nullptr);
    NdisFreeCloneNetBufferList(clone, 0);
    VerifierCapture cap;
    NdisFreeCloneNetBufferList(clone, 0);
    NdisFreeCloneNetBufferList(nullptr, 0);
    EXPECT_VERIFIER_REPORTS(cap, "POOL-08", "VER-03");
}

TEST_F(Derive, CloneRetreatedAndRelinkedByTheDriverIsFreedCompletely_POOL15_DS32)
{
    auto src = two_nb_source();
    PNET_BUFFER_LIST a = NdisAllocateCloneNetBufferList(src->nbl, nullptr, nullptr, 0);
    PNET_BUFFER_LIST b = NdisAllocateCloneNetBufferList(src->nbl, nullptr, nullptr,
                                                        NDIS_CLONE_FLAGS_USE_ORIGINAL_MDLS);
    ASSERT_NE(a, nullptr);
    ASSERT_NE(b, nullptr);
    // The driver retreats each clone NB beyond its unused space (a new MDL at the head) and
    // chains the two clones; it frees them without advancing first.
    for (PNET_BUFFER_LIST c : {a, b}) {
        for (PNET_BUFFER nb : nbs_of(c)) {
            ASSERT_EQ(NdisRetreatNetBufferDataStart(nb, 16, 8, nullptr), NDIS_STATUS_SUCCESS);
            EXPECT_EQ(nb->DataLength, (nb == c->FirstNetBuffer ? 10u : 7u) + 16u);
        }
    }
    a->Next = b;
    NdisFreeCloneNetBufferList(a, 0); // does not follow Next
    EXPECT_EQ(data_of(b->FirstNetBuffer->Next).size(), 7u + 16u);
    NdisFreeCloneNetBufferList(b, NDIS_CLONE_FLAGS_USE_ORIGINAL_MDLS);
}

// ============================ fragments (POOL-18, POOL-19) ===================================

TEST_F(Derive, FragmentNeverMergesAcrossSourceNbs_POOL18)
{
    // 10 and 7 bytes, MaximumLength 4 → 4, 4, 2 | 4, 3. NB0's data crosses MDL boundaries.
    source src(pool_a, nb_pool, {{{3, 5, 0, 4}, 1, 10}, {{7}, 0, 7}});
    const OPENNDIS_STATS before = stats();
    PNET_BUFFER_LIST frag =
        NdisAllocateFragmentNetBufferList(src.nbl, nullptr, nullptr, 0, 4, 0, 0, 0);
    ASSERT_NE(frag, nullptr);
    expect_fresh_derived_nbl(frag);
    EXPECT_NE(header_flags(frag) & ndis::core::kFlagFragment, 0);

    const auto nbs = nbs_of(frag);
    ASSERT_EQ(nbs.size(), 5u);
    const std::array<std::pair<std::size_t, ULONG>, 5> want{
        {{0, 1}, {0, 5}, {0, 9}, {1, 0}, {1, 4}}}; // (source NB, offset of the first byte)
    const std::array<ULONG, 5> lengths{4, 4, 2, 4, 3};
    std::size_t mdls = 0;
    for (std::size_t k = 0; k < nbs.size(); ++k) {
        SCOPED_TRACE(k);
        EXPECT_EQ(nbs[k]->DataLength, lengths[k]);
        EXPECT_EQ(nbs[k]->DataOffset, 0u);
        EXPECT_TRUE(geometry_ok(nbs[k]));
        EXPECT_EQ(data_of(nbs[k]), expected(want[k].first, want[k].second, lengths[k]));
        // Its own MDLs, the first starting at the fragment's first byte; none of the source's.
        EXPECT_EQ(mdl_va(nbs[k]->MdlChain), src.byte(want[k].first, want[k].second));
        for (PMDL m = nbs[k]->MdlChain; m != nullptr; m = m->Next, ++mdls) {
            EXPECT_EQ(std::find(src.mdls.begin(), src.mdls.end(), m), src.mdls.end())
                << "fragment MDL must be new";
            EXPECT_NE(m->ByteCount, 0u);
        }
    }
    // Fragment 1 = bytes 5..8 of NB0: MDL [3,8) offset 2..4 and MDL [8,12) (after a zero MDL).
    EXPECT_EQ(chain_length(nbs[1]->MdlChain), 2u);
    EXPECT_EQ(stats().Mdls, before.Mdls + mdls);
    EXPECT_EQ(stats().Nbs, before.Nbs + 5);

    NdisFreeFragmentNetBufferList(frag, 0, 0);
    EXPECT_EQ(stats().Mdls, before.Mdls);
    EXPECT_EQ(stats().Nbs, before.Nbs);
}

TEST_F(Derive, FragmentStartOffsetAndMaximumLength_POOL18)
{
    source src(pool_a, nb_pool, {{{10}, 0, 10}, {{2, 5}, 0, 7}, {{3}, 0, 3}});
    struct cas {
        ULONG start, max;
        std::vector<std::pair<std::size_t, std::pair<ULONG, ULONG>>> frags; // nb, offset, len
    };
    const std::vector<cas> cases{
        // StartOffset 3: 7 → 4, 3; 4 → 4; the 3-byte NB yields no fragment.
        {3, 4, {{0, {3, 4}}, {0, {7, 3}}, {1, {3, 4}}}},
        // MaximumLength equal to the longest remainder, and larger: one fragment per NB.
        {0, 10, {{0, {0, 10}}, {1, {0, 7}}, {2, {0, 3}}}},
        {0, 1000, {{0, {0, 10}}, {1, {0, 7}}, {2, {0, 3}}}},
        // MaximumLength 1: a fragment per byte.
        {6, 1, {{0, {6, 1}}, {0, {7, 1}}, {0, {8, 1}}, {0, {9, 1}}, {1, {6, 1}}}},
    };
    for (const cas &c : cases) {
        SCOPED_TRACE(testing::Message() << "StartOffset " << c.start << " Max " << c.max);
        PNET_BUFFER_LIST frag = NdisAllocateFragmentNetBufferList(src.nbl, pool_b, nb_pool,
                                                                  c.start, c.max, 0, 0, 0);
        ASSERT_NE(frag, nullptr);
        const auto nbs = nbs_of(frag);
        ASSERT_EQ(nbs.size(), c.frags.size());
        for (std::size_t k = 0; k < nbs.size(); ++k) {
            const auto &[i, window] = c.frags[k];
            EXPECT_EQ(data_of(nbs[k]), expected(i, window.first, window.second)) << k;
            EXPECT_EQ(first_byte(nbs[k]), src.byte(i, window.first));
        }
        EXPECT_EQ(NdisGetPoolFromNetBuffer(nbs[0]), pool_b); // preallocated NB first
        NdisFreeFragmentNetBufferList(frag, 0, 0);
    }
}

TEST_F(Derive, FragmentRetreatSpaceIsUsable_POOL18_POOL19_DS32)
{
    source src(pool_a, nb_pool, {{{6, 6}, 0, 12}});
    const OPENNDIS_STATS before = stats();
    PNET_BUFFER_LIST frag =
        NdisAllocateFragmentNetBufferList(src.nbl, nullptr, nullptr, 2, 5, 14, 32, 0);
    ASSERT_NE(frag, nullptr);
    const auto nbs = nbs_of(frag);
    ASSERT_EQ(nbs.size(), 2u); // 10 bytes after StartOffset 2 → 5, 5
    for (std::size_t k = 0; k < 2; ++k) {
        SCOPED_TRACE(k);
        PNET_BUFFER nb = nbs[k];
        EXPECT_EQ(nb->DataLength, 14u + 5u);
        EXPECT_EQ(nb->DataOffset, 32u); // DataBackFill stays unused in front
        EXPECT_TRUE(geometry_ok(nb));
        // The 14 header bytes are writable and are not the source's bytes.
        std::uint8_t *header = first_byte(nb);
        ASSERT_GE(nb->CurrentMdl->ByteCount - nb->CurrentMdlOffset, 14u);
        std::memset(header, 0xEE, 14);
        const bytes data = data_of(nb);
        EXPECT_EQ(bytes(data.begin(), data.begin() + 14), bytes(14, 0xEE));
        EXPECT_EQ(bytes(data.begin() + 14, data.end()), expected(0, 2 + 5 * k, 5));
        // The backfill: a further retreat of up to 32 bytes needs no allocation.
        const OPENNDIS_STATS mid = stats();
        ASSERT_EQ(NdisRetreatNetBufferDataStart(nb, 32, 0, nullptr), NDIS_STATUS_SUCCESS);
        EXPECT_EQ(stats().Mdls, mid.Mdls);
        EXPECT_EQ(stats().MemoryBlocks, mid.MemoryBlocks);
        NdisAdvanceNetBufferDataStart(nb, 32, FALSE, nullptr);
    }
    EXPECT_EQ(expected(0, 0, 12), bytes(src.byte(0, 0), src.byte(0, 12))); // source untouched
    NdisFreeFragmentNetBufferList(frag, 14, 0);
    const OPENNDIS_STATS after = stats();
    EXPECT_EQ(after.Mdls, before.Mdls);
    EXPECT_EQ(after.MemoryBlocks, before.MemoryBlocks);
    EXPECT_EQ(after.Nbs, before.Nbs);
}

TEST_F(Derive, FragmentFreedWithMismatchedDeltaLeaksNothing_POOL19)
{
    source src(pool_a, nb_pool, {{{9}, 0, 9}});
    const OPENNDIS_STATS before = stats();
    // Smaller delta than allocated (0): the retreat MDLs are still released.
    PNET_BUFFER_LIST frag =
        NdisAllocateFragmentNetBufferList(src.nbl, nullptr, nullptr, 0, 4, 8, 0, 0);
    ASSERT_NE(frag, nullptr);
    NdisFreeFragmentNetBufferList(frag, 0, 0);
    EXPECT_EQ(stats().MemoryBlocks, before.MemoryBlocks);
    // Larger than a fragment's data: reported, nothing leaks.
    frag = NdisAllocateFragmentNetBufferList(src.nbl, nullptr, nullptr, 0, 4, 8, 0, 0);
    ASSERT_NE(frag, nullptr);
    {
        VerifierCapture cap;
        NdisFreeFragmentNetBufferList(frag, 100, 0);
        EXPECT_VERIFIER_REPORTS(cap, "POOL-18");
    }
    // Flags != 0: reported, freed anyway.
    frag = NdisAllocateFragmentNetBufferList(src.nbl, nullptr, nullptr, 0, 4, 8, 0, 0);
    ASSERT_NE(frag, nullptr);
    {
        VerifierCapture cap;
        NdisFreeFragmentNetBufferList(frag, 8, 1);
        EXPECT_VERIFIER_REPORTS(cap, "POOL-18");
    }
    const OPENNDIS_STATS after = stats();
    EXPECT_EQ(after.Mdls, before.Mdls);
    EXPECT_EQ(after.Nbs, before.Nbs);
    EXPECT_EQ(after.Nbls, before.Nbls);
    EXPECT_EQ(after.MemoryBlocks, before.MemoryBlocks);
}

TEST_F(Derive, FragmentRejectsBadArguments_POOL18)
{
    auto src = two_nb_source();
    VerifierCapture cap;
    EXPECT_EQ(NdisAllocateFragmentNetBufferList(src->nbl, nullptr, nullptr, 0, 4, 0, 0, 1),
              nullptr); // flags
    EXPECT_EQ(NdisAllocateFragmentNetBufferList(src->nbl, nullptr, nullptr, 0, 0, 0, 0, 0),
              nullptr); // MaximumLength 0
    EXPECT_EQ(NdisAllocateFragmentNetBufferList(src->nbl, nullptr, nullptr, 10, 4, 0, 0, 0),
              nullptr); // nothing after StartOffset (10 >= 10 and 7)
    EXPECT_EQ(NdisAllocateFragmentNetBufferList(src->nbl, nullptr, nullptr, 0, 4, MAXULONG - 2,
                                                0, 0),
              nullptr); // fragment + DataOffsetDelta overflows DataLength
    EXPECT_VERIFIER_REPORTS(cap, "POOL-18", "POOL-18", "POOL-18", "POOL-18");
    cap.clear();
    EXPECT_EQ(NdisAllocateFragmentNetBufferList(src->nbl, pool_c, nullptr, 0, 4, 0, 0, 0),
              nullptr);
    EXPECT_EQ(NdisAllocateFragmentNetBufferList(src->nbl, nullptr, nb_data_pool, 0, 4, 0, 0, 0),
              nullptr);
    EXPECT_EQ(NdisAllocateFragmentNetBufferList(nullptr, nullptr, nullptr, 0, 4, 0, 0, 0),
              nullptr);
    EXPECT_VERIFIER_REPORTS(cap, "POOL-06", "POOL-11", "VER-03");
    cap.clear();
    // An NBL without NBs has nothing to fragment either.
    PNET_BUFFER_LIST empty = NdisAllocateNetBufferList(pool_a, 0, 0);
    EXPECT_EQ(NdisAllocateFragmentNetBufferList(empty, nullptr, nullptr, 0, 4, 0, 0, 0), nullptr);
    EXPECT_VERIFIER_REPORTS(cap, "POOL-18");
    NdisFreeNetBufferList(empty);
}

TEST_F(Derive, FreeFragmentOfSomethingElseIsReported_POOL19)
{
    auto src = two_nb_source();
    PNET_BUFFER_LIST clone = NdisAllocateCloneNetBufferList(src->nbl, nullptr, nullptr, 0);
    ASSERT_NE(clone, nullptr);
    const OPENNDIS_STATS before = stats();
    {
        VerifierCapture cap;
        NdisFreeFragmentNetBufferList(clone, 0, 0);
        NdisFreeFragmentNetBufferList(src->nbl, 0, 0);
        EXPECT_VERIFIER_REPORTS(cap, "POOL-19", "POOL-19"); // fragment_free_wrong_api
    }
    EXPECT_EQ(stats().Nbls, before.Nbls);
    EXPECT_EQ(stats().Mdls, before.Mdls);
    NdisFreeCloneNetBufferList(clone, 0);
}

// =============================== reassembly (POOL-20) ========================================

// Header stripping: a 30-byte packet = 8-byte header + 22-byte payload is fragmented after its
// header (StartOffset 8) into 6-byte pieces, each given an 8-byte fragment header
// (DataOffsetDelta 8); reassembly strips those headers (StartOffset 8) and makes room for a new
// 8-byte header (DataOffsetDelta 8): the payload comes back, byte for byte, without a copy.
TEST_F(Derive, FragmentThenReassembleGivesBackTheBytes_POOL18_POOL20)
{
    source src(pool_a, nb_pool, {{{5, 13, 12}, 0, 30}});
    const OPENNDIS_STATS before = stats();
    PNET_BUFFER_LIST frag =
        NdisAllocateFragmentNetBufferList(src.nbl, nullptr, nullptr, 8, 6, 8, 0, 0);
    ASSERT_NE(frag, nullptr);
    ASSERT_EQ(nbs_of(frag).size(), 4u); // 22 = 6 + 6 + 6 + 4
    for (PNET_BUFFER nb : nbs_of(frag)) {
        std::memset(first_byte(nb), 0xF0, 8); // the fragment header
    }
    for (NDIS_HANDLE pool : {static_cast<NDIS_HANDLE>(nullptr), pool_b}) {
        PNET_BUFFER_LIST whole = NdisAllocateReassembledNetBufferList(frag, pool, 8, 8, 16, 0);
        ASSERT_NE(whole, nullptr);
        expect_fresh_derived_nbl(whole);
        EXPECT_NE(header_flags(whole) & ndis::core::kFlagReassembled, 0);
        if (pool != nullptr) {
            EXPECT_EQ(NdisGetPoolFromNetBufferList(whole), pool);
        }
        const auto nbs = nbs_of(whole);
        ASSERT_EQ(nbs.size(), 1u);
        EXPECT_EQ(nbs[0]->DataLength, 8u + 22u);
        EXPECT_EQ(nbs[0]->DataOffset, 16u);
        EXPECT_TRUE(geometry_ok(nbs[0]));
        const bytes data = data_of(nbs[0]);
        EXPECT_EQ(bytes(data.begin() + 8, data.end()), expected(0, 8, 22));
        // No copy: the payload's MDLs point into the source buffer.
        PMDL payload = nbs[0]->MdlChain->Next;
        EXPECT_EQ(mdl_va(payload), src.byte(0, 8));
        NdisFreeReassembledNetBufferList(whole, 8, 0);
    }
    NdisFreeFragmentNetBufferList(frag, 8, 0);
    const OPENNDIS_STATS after = stats();
    EXPECT_EQ(after.Mdls, before.Mdls);
    EXPECT_EQ(after.MemoryBlocks, before.MemoryBlocks);
    EXPECT_EQ(after.Nbls, before.Nbls);
}

TEST_F(Derive, ReassembleConcatenatesEverySourceNb_POOL20)
{
    // StartOffset 2 in every NB; the 1-byte NB contributes nothing; no retreat.
    source src(pool_a, nb_pool, {{{4, 0, 3}, 1, 6}, {{1}, 0, 1}, {{2, 2}, 0, 4}});
    PNET_BUFFER_LIST whole = NdisAllocateReassembledNetBufferList(src.nbl, nullptr, 2, 0, 0, 0);
    ASSERT_NE(whole, nullptr);
    PNET_BUFFER nb = whole->FirstNetBuffer;
    ASSERT_NE(nb, nullptr);
    EXPECT_EQ(nb->Next, nullptr);
    EXPECT_EQ(nb->DataOffset, 0u);
    bytes want = expected(0, 3, 4);
    const bytes tail = expected(2, 2, 2);
    want.insert(want.end(), tail.begin(), tail.end());
    EXPECT_EQ(data_of(nb), want);
    EXPECT_TRUE(geometry_ok(nb));
    NdisFreeReassembledNetBufferList(whole, 0, 0);
}

TEST_F(Derive, ReassemblyRejectsBadArguments_POOL20)
{
    auto src = two_nb_source();
    VerifierCapture cap;
    EXPECT_EQ(NdisAllocateReassembledNetBufferList(src->nbl, pool_a, 0, 0, 0, 0), nullptr);
    EXPECT_EQ(NdisAllocateReassembledNetBufferList(src->nbl, pool_c, 0, 0, 0, 0), nullptr);
    EXPECT_EQ(NdisAllocateReassembledNetBufferList(src->nbl, nullptr, 0, 0, 0, 2), nullptr);
    EXPECT_EQ(NdisAllocateReassembledNetBufferList(src->nbl, nullptr, 10, 0, 0, 0), nullptr);
    EXPECT_EQ(NdisAllocateReassembledNetBufferList(src->nbl, nullptr, 0, MAXULONG - 5, 0, 0),
              nullptr);
    EXPECT_VERIFIER_REPORTS(cap, "POOL-20", "POOL-20", "POOL-20", "POOL-20", "POOL-20");
    cap.clear();
    EXPECT_EQ(NdisAllocateReassembledNetBufferList(nullptr, nullptr, 0, 0, 0, 0), nullptr);
    EXPECT_VERIFIER_REPORTS(cap, "VER-03");
}

TEST_F(Derive, FreeReassembledOfSomethingElseIsReported_POOL20)
{
    auto src = two_nb_source();
    PNET_BUFFER_LIST frag =
        NdisAllocateFragmentNetBufferList(src->nbl, nullptr, nullptr, 0, 4, 0, 0, 0);
    PNET_BUFFER_LIST whole = NdisAllocateReassembledNetBufferList(src->nbl, nullptr, 0, 4, 0, 0);
    ASSERT_NE(frag, nullptr);
    ASSERT_NE(whole, nullptr);
    {
        VerifierCapture cap;
        NdisFreeReassembledNetBufferList(frag, 0, 0);
        NdisFreeReassembledNetBufferList(src->nbl, 0, 0);
        NdisFreeFragmentNetBufferList(whole, 4, 0);
        NdisFreeCloneNetBufferList(whole, 0);
        EXPECT_VERIFIER_REPORTS(cap, "POOL-20", "POOL-20", "POOL-19", "POOL-15");
    }
    {
        VerifierCapture cap;
        NdisFreeReassembledNetBufferList(whole, 4, 8); // flags != 0: reported, freed anyway
        EXPECT_VERIFIER_REPORTS(cap, "POOL-20");
    }
    NdisFreeFragmentNetBufferList(frag, 0, 0);
}

// ======================= allocation failures at every point (POOL-14/18/20) ==================

// Runs `allocate` with the k-th runtime allocation failing, k = 0, 1, … until it succeeds. Each
// failing run must return NULL and leave every live-object count as it was. Returns the number
// of allocation points found.
template <typename Allocate, typename Free>
ULONG fail_at_every_point(Allocate allocate, Free release)
{
    for (ULONG k = 0; k < 1000; ++k) {
        const OPENNDIS_STATS before = stats();
        OpenNdisInjectAllocationFailures(k, 1);
        PNET_BUFFER_LIST nbl = allocate();
        OpenNdisInjectAllocationFailures(0, 0);
        if (nbl != nullptr) {
            release(nbl);
            return k;
        }
        const OPENNDIS_STATS after = stats();
        EXPECT_EQ(after.Nbls, before.Nbls) << "failure at point " << k;
        EXPECT_EQ(after.Nbs, before.Nbs) << "failure at point " << k;
        EXPECT_EQ(after.Mdls, before.Mdls) << "failure at point " << k;
        EXPECT_EQ(after.MemoryBlocks, before.MemoryBlocks) << "failure at point " << k;
    }
    ADD_FAILURE() << "never succeeded";
    return 0;
}

TEST_F(Derive, AllocationFailureAtEveryPointLeaksNothing_POOL14_POOL18_POOL20)
{
    auto src = two_nb_source();
    // Clone, new MDLs: NBL + (4 MDLs + NB) + (1 MDL + NB) = 8 allocations.
    EXPECT_EQ(fail_at_every_point(
                  [&] { return NdisAllocateCloneNetBufferList(src->nbl, nullptr, nullptr, 0); },
                  [](PNET_BUFFER_LIST c) { NdisFreeCloneNetBufferList(c, 0); }),
              8u);
    // Clone sharing the MDLs, kind-(b) pool: NBL (with its NB) + 1 NB.
    EXPECT_EQ(fail_at_every_point(
                  [&] {
                      return NdisAllocateCloneNetBufferList(src->nbl, pool_b, nb_pool,
                                                            NDIS_CLONE_FLAGS_USE_ORIGINAL_MDLS);
                  },
                  [](PNET_BUFFER_LIST c) {
                      NdisFreeCloneNetBufferList(c, NDIS_CLONE_FLAGS_USE_ORIGINAL_MDLS);
                  }),
              2u);
    // Fragment with retreat (Max 4: 10 bytes → 4, 4, 2 over 2, 1, 1 MDLs; 7 → 4, 3 over 1, 1):
    // the NBL, then per fragment its MDLs, its NB and its retreat buffer: 1 + 6 + 5 + 5.
    const ULONG fragment_points = fail_at_every_point(
        [&] {
            return NdisAllocateFragmentNetBufferList(src->nbl, nullptr, nullptr, 0, 4, 6, 2, 0);
        },
        [](PNET_BUFFER_LIST f) { NdisFreeFragmentNetBufferList(f, 6, 0); });
    EXPECT_EQ(fragment_points, 1u + 6u + 5u + 5u);
    // Reassembly with retreat, StartOffset 1: the NBL, one MDL per piece (NB0's [3, 12) spans 3
    // MDLs, NB1's [1, 7) one), the retreat buffer.
    const ULONG reassembly_points = fail_at_every_point(
        [&] { return NdisAllocateReassembledNetBufferList(src->nbl, nullptr, 1, 6, 2, 0); },
        [](PNET_BUFFER_LIST r) { NdisFreeReassembledNetBufferList(r, 6, 0); });
    EXPECT_EQ(reassembly_points, 1u + 4u + 1u);
}

// ========================== OOB copies (POOL-21, §16 point 9) ================================

PVOID value(ULONG_PTR v)
{
    return reinterpret_cast<PVOID>(v);
}

void check_copy(NDIS_STATUS (*copy)(PNET_BUFFER_LIST, PNET_BUFFER_LIST),
                const std::vector<int> &copied, NDIS_HANDLE pool)
{
    PNET_BUFFER_LIST src = NdisAllocateNetBufferList(pool, 0, 0);
    PNET_BUFFER_LIST dest = NdisAllocateNetBufferList(pool, 0, 0);
    ASSERT_NE(src, nullptr);
    ASSERT_NE(dest, nullptr);
    for (int i = 0; i < MaxNetBufferListInfo; ++i) {
        src->NetBufferListInfo[i] = value(0x1000 + i);
        dest->NetBufferListInfo[i] = value(0x2000 + i);
    }
    src->NblFlags = NDIS_NBL_FLAGS_IS_IPV4;
    dest->NblFlags = NDIS_NBL_FLAGS_IS_IPV6;
    dest->Status = NDIS_STATUS_PENDING;
    EXPECT_EQ(copy(dest, src), NDIS_STATUS_SUCCESS);
    for (int i = 0; i < MaxNetBufferListInfo; ++i) {
        const bool listed = std::find(copied.begin(), copied.end(), i) != copied.end();
        EXPECT_EQ(dest->NetBufferListInfo[i], value((listed ? 0x1000 : 0x2000) + i))
            << "slot " << i;
        EXPECT_EQ(src->NetBufferListInfo[i], value(0x1000 + i)) << "slot " << i;
    }
    EXPECT_EQ(dest->NblFlags, static_cast<ULONG>(NDIS_NBL_FLAGS_IS_IPV6));
    EXPECT_EQ(dest->Status, NDIS_STATUS_PENDING);
    NdisFreeNetBufferList(src);
    NdisFreeNetBufferList(dest);
}

TEST_F(Derive, CopySendInfoCopiesExactlyTheListedSlots_POOL21)
{
    // checksum 0, IPsec v1 1, LSO 2, 802.1Q 4, CancelId 5, MediaSpecificInformation 6,
    // ProtocolId 7, IPsec v2 tunnel 11 / header 12, FilteringInfo 14, VirtualSubnetInfo 20.
    check_copy(&NdisCopySendNetBufferListInfo, {0, 1, 2, 4, 5, 6, 7, 11, 12, 14, 20}, pool_a);
}

TEST_F(Derive, CopyReceiveInfoCopiesExactlyTheListedSlots)
{
    // Page "NdisCopyReceiveNetBufferListInfo function": checksum 0, IPsec v1 1,
    // TcpReceiveNoPush 2, 802.1Q 4, MediaSpecificInformation 6, FrameType 7, HashValue 8,
    // HashInfo 9, IPsec v2 tunnel 11 / header 12, FilteringInfo 14, VirtualSubnetInfo 20.
    check_copy(&NdisCopyReceiveNetBufferListInfo, {0, 1, 2, 4, 6, 7, 8, 9, 11, 12, 14, 20},
               pool_a);
}

TEST_F(Derive, CloneDoesNotCopyInfoButCopySendDoes_POOL21)
{
    // §16 point 9: the clone's info is zero; the filter copies what it forwards.
    auto src = two_nb_source();
    src->nbl->NetBufferListInfo[Ieee8021QNetBufferListInfo] = value(0x2A);
    src->nbl->NetBufferListInfo[NetBufferListHashValue] = value(0x77);
    PNET_BUFFER_LIST clone = NdisAllocateCloneNetBufferList(src->nbl, nullptr, nullptr, 0);
    ASSERT_NE(clone, nullptr);
    EXPECT_EQ(clone->NetBufferListInfo[Ieee8021QNetBufferListInfo], nullptr);
    EXPECT_EQ(NdisCopySendNetBufferListInfo(clone, src->nbl), NDIS_STATUS_SUCCESS);
    EXPECT_EQ(clone->NetBufferListInfo[Ieee8021QNetBufferListInfo], value(0x2A));
    EXPECT_EQ(clone->NetBufferListInfo[NetBufferListHashValue], nullptr); // not a send slot
    NdisFreeCloneNetBufferList(clone, 0);

    VerifierCapture cap;
    EXPECT_NE(NdisCopySendNetBufferListInfo(nullptr, src->nbl), NDIS_STATUS_SUCCESS);
    EXPECT_NE(NdisCopyReceiveNetBufferListInfo(src->nbl, nullptr), NDIS_STATUS_SUCCESS);
    EXPECT_VERIFIER_REPORTS(cap, "VER-03", "VER-03");
}

} // namespace
