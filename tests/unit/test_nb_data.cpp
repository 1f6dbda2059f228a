// test_nb_data.cpp — NET_BUFFER data access and data-start moves
// (SPEC DS-02 … DS-07, DS-30 … DS-37): NdisGetDataBuffer, NdisRetreat/AdvanceNetBuffer[List]-
// DataStart, NdisAdjustNetBufferCurrentMdl, NdisCopyFromNetBufferToNetBuffer,
// NdisQueryNetBufferPhysicalCount.
//
// Every NB comes from a real NB pool and describes MDLs from NdisAllocateMdl over test-owned
// memory. Segments of a test chain are separated by guard bytes, so a read past an MDL's end
// shows up as wrong data; byte i of a chain (counting only MDL bytes) holds pattern(i). After
// every operation that moves the data start, the tests check the public geometry (DS-03/DS-04)
// and read the bytes back through NdisGetDataBuffer with storage.
#include "openndis_test.hpp"

#include "core/object.hpp" // header_of(nb)->aux32: retreat MDLs at the head of the chain

#include <ndis.h>
#include <openndis/runtime.h>

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <ostream>
#include <vector>

namespace {

using openndis::test::VerifierCapture;

constexpr ULONG kPoolTag = 0x544E6274; // "tbNT"

std::uint8_t pattern(std::uint64_t i)
{
    return static_cast<std::uint8_t>(i * 7 + 3);
}

std::uint64_t live_mdls()
{
    return openndis::test::live_objects().Mdls;
}

// MDLs the test chains below hold right now (so tests can count only the MDLs others made).
std::int64_t g_chain_mdls = 0;

std::uint32_t retreat_mdls(const NET_BUFFER *nb)
{
    return ndis::core::header_of(nb)->aux32;
}

// ---- An MDL chain over test-owned, page-aligned memory ------------------------------------
class Chain {
public:
    static constexpr std::size_t kGuard = 16;
    static constexpr std::uint8_t kGuardByte = 0xEE;

    // Segment k has lengths[k] bytes (0 = a zero-length MDL). Segment 0 starts `first_offset`
    // bytes after a page boundary; each later one starts kGuard bytes after the previous ends.
    explicit Chain(std::vector<ULONG> lengths, std::size_t first_offset = 0)
        : lengths_(std::move(lengths))
    {
        std::size_t size = first_offset;
        for (ULONG len : lengths_) {
            size += len + kGuard;
        }
        size = (size + 4095) / 4096 * 4096;
        memory_.reset(static_cast<std::uint8_t *>(std::aligned_alloc(4096, size)));
        std::memset(memory_.get(), kGuardByte, size);
        std::size_t at = first_offset;
        std::uint64_t chain_offset = 0;
        for (ULONG len : lengths_) {
            std::uint8_t *seg = memory_.get() + at;
            for (ULONG i = 0; i < len; ++i) {
                seg[i] = pattern(chain_offset + i);
            }
            PMDL mdl = NdisAllocateMdl(nullptr, seg, len == 0 ? 1 : len);
            EXPECT_NE(mdl, nullptr);
            if (len == 0) {
                NdisAdjustMdlLength(mdl, 0);
            }
            if (!mdls_.empty()) {
                mdls_.back()->Next = mdl;
            }
            mdls_.push_back(mdl);
            ++g_chain_mdls;
            segments_.push_back(seg);
            chain_offset += len;
            at += len + kGuard;
        }
        total_ = chain_offset;
    }
    ~Chain()
    {
        for (PMDL m : mdls_) {
            NdisFreeMdl(m);
            --g_chain_mdls;
        }
    }
    Chain(const Chain &) = delete;
    Chain &operator=(const Chain &) = delete;

    PMDL head() const { return mdls_.empty() ? nullptr : mdls_.front(); }
    PMDL mdl(std::size_t k) const { return mdls_.at(k); }
    std::uint8_t *segment(std::size_t k) const { return segments_.at(k); }
    std::uint64_t total() const { return total_; }
    // Bytes [offset, offset + n) of the chain as built.
    std::vector<std::uint8_t> bytes(std::uint64_t offset, std::uint64_t n) const
    {
        std::vector<std::uint8_t> out;
        for (std::uint64_t i = 0; i < n; ++i) {
            out.push_back(pattern(offset + i));
        }
        return out;
    }

private:
    struct free_deleter {
        void operator()(std::uint8_t *p) const { std::free(p); }
    };
    std::vector<ULONG> lengths_;
    std::unique_ptr<std::uint8_t, free_deleter> memory_;
    std::vector<PMDL> mdls_;
    std::vector<std::uint8_t *> segments_;
    std::uint64_t total_ = 0;
};

// ---- NB geometry as the public fields show it ---------------------------------------------
struct Geometry {
    PMDL MdlChain;
    PMDL CurrentMdl;
    ULONG CurrentMdlOffset;
    ULONG DataOffset;
    ULONG DataLength;
    std::uint32_t RetreatMdls;

    static Geometry of(const NET_BUFFER *nb)
    {
        return {nb->MdlChain,  nb->CurrentMdl,  nb->CurrentMdlOffset,
                nb->DataOffset, nb->DataLength, retreat_mdls(nb)};
    }
    bool operator==(const Geometry &) const = default;
};

std::ostream &operator<<(std::ostream &os, const Geometry &g)
{
    return os << "{MdlChain " << static_cast<const void *>(g.MdlChain) << ", CurrentMdl "
              << static_cast<const void *>(g.CurrentMdl) << " + " << g.CurrentMdlOffset
              << ", DataOffset " << g.DataOffset << ", DataLength " << g.DataLength
              << ", retreat MDLs " << g.RetreatMdls << "}";
}

// DS-03 / DS-04 from the public fields: CurrentMdl is on the chain, CurrentMdlOffset within it,
// DataOffset == Σ ByteCount before CurrentMdl + CurrentMdlOffset, DataOffset + DataLength fits.
::testing::AssertionResult GeometryOk(const NET_BUFFER *nb)
{
    if (nb->MdlChain == nullptr) {
        if (nb->DataOffset != 0 || nb->DataLength != 0 || nb->CurrentMdl != nullptr) {
            return ::testing::AssertionFailure() << "no MDL chain but " << Geometry::of(nb);
        }
        return ::testing::AssertionSuccess();
    }
    std::uint64_t before = 0;
    std::uint64_t total = 0;
    bool found = false;
    for (const MDL *m = nb->MdlChain; m != nullptr; m = m->Next) {
        if (m == nb->CurrentMdl && !found) {
            found = true;
            before = total;
        }
        total += m->ByteCount;
    }
    if (!found) {
        return ::testing::AssertionFailure() << "CurrentMdl not on the chain: " << Geometry::of(nb);
    }
    if (nb->CurrentMdlOffset > nb->CurrentMdl->ByteCount) {
        return ::testing::AssertionFailure() << "CurrentMdlOffset beyond CurrentMdl: "
                                             << Geometry::of(nb);
    }
    if (before + nb->CurrentMdlOffset != nb->DataOffset) {
        return ::testing::AssertionFailure()
               << "DataOffset != bytes before CurrentMdl (" << before << ") + CurrentMdlOffset: "
               << Geometry::of(nb);
    }
    if (std::uint64_t{nb->DataOffset} + nb->DataLength > total) {
        return ::testing::AssertionFailure() << "data beyond the chain's " << total
                                             << " bytes: " << Geometry::of(nb);
    }
    return ::testing::AssertionSuccess();
}

// The NB's used data, read through NdisGetDataBuffer with storage (DS-30).
std::vector<std::uint8_t> Data(PNET_BUFFER nb)
{
    if (nb->DataLength == 0) {
        return {};
    }
    std::vector<std::uint8_t> storage(nb->DataLength);
    auto *p = static_cast<std::uint8_t *>(
        NdisGetDataBuffer(nb, nb->DataLength, storage.data(), 1, 0));
    EXPECT_NE(p, nullptr);
    if (p == nullptr) {
        return {};
    }
    return {p, p + nb->DataLength};
}

std::vector<std::uint8_t> Concat(std::vector<std::uint8_t> a, const std::vector<std::uint8_t> &b)
{
    a.insert(a.end(), b.begin(), b.end());
    return a;
}

// ---- Counted NetAllocateMdl / NetFreeMdl handlers ------------------------------------------
struct HandlerStats {
    int allocs = 0;
    int frees = 0;
    int fail_at = 0;     // the allocs-th call returns NULL (0 = never)
    ULONG extra = 0;     // bytes added to *BufferSize (a handler may allocate more)
    ULONG last_request = 0;
    std::vector<PMDL> freed;
};
HandlerStats g_handlers;

PMDL TestAllocateMdl(PULONG BufferSize)
{
    ++g_handlers.allocs;
    g_handlers.last_request = *BufferSize;
    if (g_handlers.fail_at == g_handlers.allocs) {
        return nullptr;
    }
    *BufferSize += g_handlers.extra;
    auto *buffer = new std::uint8_t[*BufferSize];
    std::memset(buffer, 0xA5, *BufferSize);
    return NdisAllocateMdl(nullptr, buffer, *BufferSize);
}

VOID TestFreeMdl(PMDL Mdl)
{
    ++g_handlers.frees;
    g_handlers.freed.push_back(Mdl);
    delete[] static_cast<std::uint8_t *>(MmGetMdlVirtualAddress(Mdl));
    NdisFreeMdl(Mdl);
}

// ---- Fixture: one NB pool (DataSize 0) per test --------------------------------------------
class NbData : public ::testing::Test {
protected:
    void SetUp() override
    {
        g_handlers = HandlerStats{};
        NET_BUFFER_POOL_PARAMETERS p{};
        p.Header.Type = NDIS_OBJECT_TYPE_DEFAULT;
        p.Header.Revision = NET_BUFFER_POOL_PARAMETERS_REVISION_1;
        p.Header.Size = NDIS_SIZEOF_NET_BUFFER_POOL_PARAMETERS_REVISION_1;
        p.PoolTag = kPoolTag;
        p.DataSize = 0;
        pool_ = NdisAllocateNetBufferPool(nullptr, &p);
        ASSERT_NE(pool_, nullptr);
        mdls_before_ = live_mdls();
    }
    void TearDown() override
    {
        for (PNET_BUFFER nb : nbs_) {
            NdisFreeNetBuffer(nb);
        }
        nbs_.clear();
        if (pool_ != nullptr) {
            NdisFreeNetBufferPool(pool_);
        }
        OpenNdisInjectAllocationFailures(0, 0);
    }

    // An NB over `chain` (may be null); freed in TearDown (before the chain's MDLs go away).
    PNET_BUFFER MakeNb(const Chain *chain, ULONG offset, ULONG length)
    {
        PMDL head = chain != nullptr ? chain->head() : nullptr;
        PNET_BUFFER nb = NdisAllocateNetBuffer(pool_, head, offset, length);
        EXPECT_NE(nb, nullptr);
        if (nb != nullptr) {
            nbs_.push_back(nb);
        }
        return nb;
    }
    void FreeNb(PNET_BUFFER nb)
    {
        nbs_.erase(std::remove(nbs_.begin(), nbs_.end(), nb), nbs_.end());
        NdisFreeNetBuffer(nb);
    }
    // MDLs alive now beyond those that existed when the test started and the test chains'.
    std::int64_t NewMdls() const
    {
        return static_cast<std::int64_t>(live_mdls()) - static_cast<std::int64_t>(mdls_before_) -
               g_chain_mdls;
    }

    NDIS_HANDLE pool_ = nullptr;
    std::uint64_t mdls_before_ = 0;
    std::vector<PNET_BUFFER> nbs_;
};

// ================================ NdisGetDataBuffer =========================================

TEST_F(NbData, GetDataBuffer_OneMdl_ContiguousReturnsPointerIntoMdl) // DS-30
{
    Chain chain({64});
    PNET_BUFFER nb = MakeNb(&chain, 10, 40);
    ASSERT_TRUE(GeometryOk(nb));
    const Geometry before = Geometry::of(nb);

    EXPECT_EQ(NdisGetDataBuffer(nb, 40, nullptr, 1, 0), chain.segment(0) + 10);
    EXPECT_EQ(NdisGetDataBuffer(nb, 1, nullptr, 1, 0), chain.segment(0) + 10);
    std::uint8_t storage[64];
    // Contiguous data is returned in place even when storage is offered.
    EXPECT_EQ(NdisGetDataBuffer(nb, 40, storage, 1, 0), chain.segment(0) + 10);
    // BytesNeeded 0: the current data pointer.
    EXPECT_EQ(NdisGetDataBuffer(nb, 0, nullptr, 1, 0), chain.segment(0) + 10);
    EXPECT_EQ(Data(nb), chain.bytes(10, 40));
    EXPECT_EQ(Geometry::of(nb), before); // never modifies the NB
}

TEST_F(NbData, GetDataBuffer_BytesNeededBeyondDataLengthIsNull) // DS-30
{
    Chain chain({64});
    PNET_BUFFER nb = MakeNb(&chain, 10, 40);
    std::uint8_t storage[64];
    std::memset(storage, 0x11, sizeof storage);
    EXPECT_EQ(NdisGetDataBuffer(nb, 41, nullptr, 1, 0), nullptr);
    EXPECT_EQ(NdisGetDataBuffer(nb, 41, storage, 1, 0), nullptr);
    EXPECT_TRUE(std::all_of(std::begin(storage), std::end(storage),
                            [](std::uint8_t b) { return b == 0x11; }));
}

TEST_F(NbData, GetDataBuffer_EmptyNb) // DS-30: no data byte, nothing to point at
{
    PNET_BUFFER nb = MakeNb(nullptr, 0, 0);
    std::uint8_t storage[4];
    EXPECT_EQ(NdisGetDataBuffer(nb, 0, nullptr, 1, 0), nullptr);
    EXPECT_EQ(NdisGetDataBuffer(nb, 0, storage, 1, 0), nullptr);
    EXPECT_EQ(NdisGetDataBuffer(nb, 1, storage, 1, 0), nullptr);
    EXPECT_EQ(NdisQueryNetBufferPhysicalCount(nb), 0u);
}

TEST_F(NbData, GetDataBuffer_ManySmallMdls_CopiesIntoStorageOrNull) // DS-30
{
    // 1- and 3-byte MDLs with zero-length ones in between.
    Chain chain({1, 3, 1, 0, 3, 1, 1, 0, 3, 1});
    ASSERT_EQ(chain.total(), 14u);
    for (ULONG offset = 0; offset <= 14; ++offset) {
        for (ULONG length = 0; offset + length <= 14; ++length) {
            PNET_BUFFER nb = MakeNb(&chain, offset, length);
            ASSERT_TRUE(GeometryOk(nb)) << offset << "+" << length;
            const Geometry before = Geometry::of(nb);
            for (ULONG n = 1; n <= length; ++n) {
                std::vector<std::uint8_t> storage(n, 0);
                auto *p = static_cast<std::uint8_t *>(
                    NdisGetDataBuffer(nb, n, storage.data(), 1, 0));
                ASSERT_NE(p, nullptr) << offset << "+" << length << " n " << n;
                EXPECT_EQ(std::vector<std::uint8_t>(p, p + n), chain.bytes(offset, n))
                    << offset << "+" << length << " n " << n;
                // In place exactly when the n bytes are in one MDL; else storage, and without
                // storage NULL.
                const bool in_storage = p == storage.data();
                void *no_storage = NdisGetDataBuffer(nb, n, nullptr, 1, 0);
                EXPECT_EQ(no_storage == nullptr, in_storage) << offset << "+" << length;
                if (!in_storage) {
                    EXPECT_EQ(p, static_cast<std::uint8_t *>(
                                     MmGetSystemAddressForMdlSafe(nb->CurrentMdl,
                                                                  NormalPagePriority)) +
                                     nb->CurrentMdlOffset);
                }
            }
            EXPECT_EQ(Geometry::of(nb), before);
            FreeNb(nb);
        }
    }
}

TEST_F(NbData, GetDataBuffer_ZeroLengthMdlsAtStartMiddleEnd) // DS-30, DS-04
{
    Chain chain({0, 0, 4, 0, 0, 6, 0});
    PNET_BUFFER nb = MakeNb(&chain, 0, 10);
    ASSERT_TRUE(GeometryOk(nb));
    EXPECT_EQ(nb->CurrentMdl, chain.mdl(2)); // the first MDL with bytes
    EXPECT_EQ(NdisGetDataBuffer(nb, 4, nullptr, 1, 0), chain.segment(2));
    EXPECT_EQ(NdisGetDataBuffer(nb, 5, nullptr, 1, 0), nullptr);
    EXPECT_EQ(Data(nb), chain.bytes(0, 10));

    // A CurrentMdl left on a leading zero-length MDL is still valid (DS-04) and reads the same.
    nb->CurrentMdl = chain.mdl(0);
    nb->CurrentMdlOffset = 0;
    ASSERT_TRUE(GeometryOk(nb));
    EXPECT_EQ(NdisGetDataBuffer(nb, 4, nullptr, 1, 0), chain.segment(2));
    EXPECT_EQ(Data(nb), chain.bytes(0, 10));

    // Data starting right after the middle zero-length MDLs.
    PNET_BUFFER nb2 = MakeNb(&chain, 4, 6);
    EXPECT_EQ(nb2->CurrentMdl, chain.mdl(5));
    EXPECT_EQ(NdisGetDataBuffer(nb2, 6, nullptr, 1, 0), chain.segment(5));
    nb2->CurrentMdl = chain.mdl(2); // same position, named as "end of MDL 2"
    nb2->CurrentMdlOffset = 4;
    ASSERT_TRUE(GeometryOk(nb2));
    EXPECT_EQ(NdisGetDataBuffer(nb2, 6, nullptr, 1, 0), chain.segment(5));
    nb2->CurrentMdl = chain.mdl(3); // …or as the zero-length MDL after it
    nb2->CurrentMdlOffset = 0;
    ASSERT_TRUE(GeometryOk(nb2));
    EXPECT_EQ(NdisGetDataBuffer(nb2, 6, nullptr, 1, 0), chain.segment(5));
    EXPECT_EQ(Data(nb2), chain.bytes(4, 6));

    // Empty data at the very end of the chain: no byte to point at.
    PNET_BUFFER nb3 = MakeNb(&chain, 10, 0);
    ASSERT_TRUE(GeometryOk(nb3));
    EXPECT_EQ(NdisGetDataBuffer(nb3, 0, nullptr, 1, 0), nullptr);
}

TEST_F(NbData, GetDataBuffer_DataStartingMidMdlAndAtBoundary) // DS-30, DS-04
{
    Chain chain({8, 8});
    PNET_BUFFER mid = MakeNb(&chain, 5, 8);
    EXPECT_EQ(mid->CurrentMdl, chain.mdl(0));
    EXPECT_EQ(mid->CurrentMdlOffset, 5u);
    EXPECT_EQ(NdisGetDataBuffer(mid, 3, nullptr, 1, 0), chain.segment(0) + 5);
    EXPECT_EQ(NdisGetDataBuffer(mid, 4, nullptr, 1, 0), nullptr);
    EXPECT_EQ(Data(mid), chain.bytes(5, 8));

    PNET_BUFFER boundary = MakeNb(&chain, 8, 8);
    EXPECT_EQ(boundary->CurrentMdl, chain.mdl(1)); // canonical: the MDL that has the byte
    EXPECT_EQ(boundary->CurrentMdlOffset, 0u);
    EXPECT_EQ(NdisGetDataBuffer(boundary, 8, nullptr, 1, 0), chain.segment(1));
    boundary->CurrentMdl = chain.mdl(0); // also valid: the end of the previous MDL
    boundary->CurrentMdlOffset = 8;
    ASSERT_TRUE(GeometryOk(boundary));
    EXPECT_EQ(NdisGetDataBuffer(boundary, 8, nullptr, 1, 0), chain.segment(1));
    EXPECT_EQ(Data(boundary), chain.bytes(8, 8));
}

TEST_F(NbData, GetDataBuffer_Alignment) // DS-31
{
    Chain chain({256}); // segment 0 is page aligned
    PNET_BUFFER nb = MakeNb(&chain, 4, 100); // data address % 64 == 4
    std::uint8_t *data = chain.segment(0) + 4;
    alignas(64) std::uint8_t storage[128 + 1];
    const std::vector<std::uint8_t> want = chain.bytes(4, 100);

    EXPECT_EQ(NdisGetDataBuffer(nb, 100, storage, 4, 0), data);
    EXPECT_EQ(NdisGetDataBuffer(nb, 100, storage, 8, 4), data);
    EXPECT_EQ(NdisGetDataBuffer(nb, 100, storage, 64, 4), data);
    EXPECT_EQ(NdisGetDataBuffer(nb, 100, nullptr, 2, 0), data);

    // Misaligned contiguous data is copied into aligned storage.
    for (UINT multiple : {8u, 64u}) {
        std::memset(storage, 0, sizeof storage);
        void *p = NdisGetDataBuffer(nb, 100, storage, multiple, 0);
        ASSERT_EQ(p, storage) << multiple;
        EXPECT_EQ(std::vector<std::uint8_t>(storage, storage + 100), want);
        EXPECT_EQ(NdisGetDataBuffer(nb, 100, nullptr, multiple, 0), nullptr);
    }
    // Storage that itself is not aligned as asked: NULL.
    EXPECT_EQ(NdisGetDataBuffer(nb, 100, storage + 1, 8, 0), nullptr);
    // Storage aligned with an offset.
    void *p = NdisGetDataBuffer(nb, 100, storage + 1, 64, 1);
    ASSERT_EQ(p, storage + 1);
    EXPECT_EQ(std::vector<std::uint8_t>(storage + 1, storage + 101), want);
    // Non-contiguous data with alignment: storage must satisfy it.
    Chain split({3, 50});
    PNET_BUFFER nb2 = MakeNb(&split, 0, 53);
    EXPECT_EQ(NdisGetDataBuffer(nb2, 53, storage, 64, 0), storage);
    EXPECT_EQ(std::vector<std::uint8_t>(storage, storage + 53), split.bytes(0, 53));
    EXPECT_EQ(NdisGetDataBuffer(nb2, 53, storage + 4, 8, 0), nullptr);
    EXPECT_EQ(NdisGetDataBuffer(nb2, 53, storage + 4, 8, 4), storage + 4);
}

TEST_F(NbData, GetDataBuffer_BadAlignmentParametersReported) // DS-31
{
    Chain chain({32});
    PNET_BUFFER nb = MakeNb(&chain, 0, 32);
    std::uint8_t storage[32];
    VerifierCapture cap;
    EXPECT_EQ(NdisGetDataBuffer(nb, 4, storage, 0, 0), nullptr);     // not a power of two
    EXPECT_EQ(NdisGetDataBuffer(nb, 4, storage, 3, 0), nullptr);     // not a power of two
    EXPECT_EQ(NdisGetDataBuffer(nb, 4, storage, 16384, 0), nullptr); // above 8192
    EXPECT_EQ(NdisGetDataBuffer(nb, 4, storage, 8, 8), nullptr);     // offset not < multiple
    EXPECT_VERIFIER_REPORTS(cap, "DS-31", "DS-31", "DS-31", "DS-31");
    cap.clear();
    // The largest legal multiple, with the offset the data address actually has.
    const auto off8k = static_cast<UINT>(reinterpret_cast<std::uintptr_t>(chain.segment(0)) % 8192);
    EXPECT_EQ(NdisGetDataBuffer(nb, 4, storage, 8192, off8k), chain.segment(0));
    EXPECT_NE(NdisGetDataBuffer(nb, 4, storage, 1, 0), nullptr);
    EXPECT_VERIFIER_REPORTS(cap);
}

TEST_F(NbData, GetDataBuffer_InconsistentGeometryReported) // DS-04
{
    Chain chain({8, 8});
    PNET_BUFFER nb = MakeNb(&chain, 2, 10);
    nb->DataOffset = 9; // moved by hand without NdisAdjustNetBufferCurrentMdl
    std::uint8_t storage[16];
    VerifierCapture cap;
    EXPECT_EQ(NdisGetDataBuffer(nb, 4, storage, 1, 0), nullptr);
    EXPECT_VERIFIER_REPORTS(cap, "DS-04");
    nb->DataOffset = 2;
}

// ================================ NdisAdjustNetBufferCurrentMdl =============================

TEST_F(NbData, AdjustCurrentMdl_AfterManualDataOffsetChange) // DS-05, DS-04
{
    Chain chain({1, 3, 0, 5});
    PNET_BUFFER nb = MakeNb(&chain, 0, 0);
    struct Case {
        ULONG offset;
        std::size_t mdl;
        ULONG mdl_offset;
    };
    // Offset 4 is the end of MDL 1: the byte lives in MDL 3 (skipping the zero-length MDL 2).
    // Offset 9 is the end of the chain: the last MDL at its ByteCount.
    for (const Case &c : {Case{0, 0, 0}, Case{1, 1, 0}, Case{2, 1, 1}, Case{4, 3, 0},
                          Case{8, 3, 4}, Case{9, 3, 5}}) {
        nb->DataOffset = c.offset;
        nb->DataLength = 9 - c.offset;
        NdisAdjustNetBufferCurrentMdl(nb);
        EXPECT_EQ(nb->CurrentMdl, chain.mdl(c.mdl)) << c.offset;
        EXPECT_EQ(nb->CurrentMdlOffset, c.mdl_offset) << c.offset;
        ASSERT_TRUE(GeometryOk(nb));
        EXPECT_EQ(Data(nb), chain.bytes(c.offset, 9 - c.offset));
    }
    // Beyond the chain: reported, NB left as it was.
    const Geometry before = Geometry::of(nb);
    VerifierCapture cap;
    nb->DataOffset = 10;
    NdisAdjustNetBufferCurrentMdl(nb);
    EXPECT_VERIFIER_REPORTS(cap, "DS-03");
    EXPECT_EQ(nb->CurrentMdl, before.CurrentMdl);
    EXPECT_EQ(nb->CurrentMdlOffset, before.CurrentMdlOffset);
    nb->DataOffset = before.DataOffset;
}

// ================================ Retreat / advance =========================================

TEST_F(NbData, Retreat_WithinUnusedSpace_NoAllocation) // DS-32, DS-34
{
    Chain chain({16, 16});
    PNET_BUFFER nb = MakeNb(&chain, 20, 8);
    const Geometry original = Geometry::of(nb);
    const OPENNDIS_STATS stats_before = openndis::test::live_objects();

    ASSERT_EQ(NdisRetreatNetBufferDataStart(nb, 0, 0, nullptr), NDIS_STATUS_SUCCESS);
    EXPECT_EQ(Geometry::of(nb), original); // delta 0: no change

    ASSERT_EQ(NdisRetreatNetBufferDataStart(nb, 6, 100, nullptr), NDIS_STATUS_SUCCESS);
    EXPECT_EQ(nb->DataOffset, 14u);
    EXPECT_EQ(nb->DataLength, 14u);
    EXPECT_EQ(nb->MdlChain, chain.head());
    EXPECT_EQ(nb->CurrentMdl, chain.mdl(0));
    EXPECT_EQ(nb->CurrentMdlOffset, 14u);
    ASSERT_TRUE(GeometryOk(nb));
    EXPECT_EQ(Data(nb), chain.bytes(14, 14));

    ASSERT_EQ(NdisRetreatNetBufferDataStart(nb, 14, 0, nullptr), NDIS_STATUS_SUCCESS);
    EXPECT_EQ(nb->DataOffset, 0u); // exactly all the unused space
    EXPECT_EQ(nb->DataLength, 28u);
    ASSERT_TRUE(GeometryOk(nb));
    EXPECT_EQ(Data(nb), chain.bytes(0, 28));

    const OPENNDIS_STATS stats_after = openndis::test::live_objects();
    EXPECT_EQ(stats_after.Mdls, stats_before.Mdls);
    EXPECT_EQ(stats_after.MemoryBlocks, stats_before.MemoryBlocks);
    EXPECT_EQ(retreat_mdls(nb), 0u);

    NdisAdvanceNetBufferDataStart(nb, 20, TRUE, nullptr); // back to the start (DS-34)
    EXPECT_EQ(Geometry::of(nb), original);
    EXPECT_EQ(Data(nb), chain.bytes(20, 8));
}

TEST_F(NbData, Retreat_NewMdl_NoUnusedSpace_RoundTripFreesIt) // DS-32, DS-33, DS-34
{
    Chain chain({32});
    PNET_BUFFER nb = MakeNb(&chain, 0, 32); // d = 0
    const Geometry original = Geometry::of(nb);

    ASSERT_EQ(NdisRetreatNetBufferDataStart(nb, 14, 10, nullptr), NDIS_STATUS_SUCCESS);
    EXPECT_EQ(NewMdls(), 1);
    EXPECT_EQ(retreat_mdls(nb), 1u);
    PMDL m = nb->MdlChain;
    ASSERT_NE(m, chain.head());
    EXPECT_EQ(m->Next, chain.head());
    EXPECT_GE(m->ByteCount, 24u);
    EXPECT_EQ(nb->DataOffset, m->ByteCount - 14);
    EXPECT_GE(nb->DataOffset, 10u); // the backfill is unused space in front of the data
    EXPECT_EQ(nb->DataLength, 46u);
    EXPECT_EQ(nb->CurrentMdl, m);
    EXPECT_EQ(nb->CurrentMdlOffset, nb->DataOffset);
    ASSERT_TRUE(GeometryOk(nb));

    // The 14 new bytes are contiguous in the new MDL; fill them as a header would be.
    auto *header = static_cast<std::uint8_t *>(NdisGetDataBuffer(nb, 14, nullptr, 1, 0));
    ASSERT_NE(header, nullptr);
    std::vector<std::uint8_t> h(14);
    for (std::size_t i = 0; i < h.size(); ++i) {
        header[i] = h[i] = static_cast<std::uint8_t>(0xC0 + i);
    }
    EXPECT_EQ(Data(nb), Concat(h, chain.bytes(0, 32)));

    NdisAdvanceNetBufferDataStart(nb, 14, TRUE, nullptr);
    EXPECT_EQ(Geometry::of(nb), original);
    EXPECT_EQ(NewMdls(), 0);
    EXPECT_EQ(Data(nb), chain.bytes(0, 32));
}

TEST_F(NbData, Retreat_NewMdl_SomeUnusedSpace_OldUnusedBytesBecomeUsed) // DS-32, DS-34
{
    Chain chain({4, 20});
    PNET_BUFFER nb = MakeNb(&chain, 6, 12); // d = 6: mid second MDL
    const Geometry original = Geometry::of(nb);
    EXPECT_EQ(original.CurrentMdl, chain.mdl(1));

    ASSERT_EQ(NdisRetreatNetBufferDataStart(nb, 10, 8, nullptr), NDIS_STATUS_SUCCESS);
    PMDL m = nb->MdlChain;
    EXPECT_EQ(NewMdls(), 1);
    EXPECT_EQ(m->Next, chain.head());
    // 10 - 6 = 4 bytes come from the new MDL, then the old chain from its start.
    EXPECT_EQ(nb->DataOffset, m->ByteCount - 4);
    EXPECT_GE(nb->DataOffset, 8u + 6u); // backfill + d of unused space in front
    EXPECT_EQ(nb->DataLength, 22u);
    EXPECT_EQ(nb->CurrentMdl, m);
    ASSERT_TRUE(GeometryOk(nb));
    auto *head = static_cast<std::uint8_t *>(NdisGetDataBuffer(nb, 4, nullptr, 1, 0));
    ASSERT_NE(head, nullptr);
    EXPECT_EQ(NdisGetDataBuffer(nb, 5, nullptr, 1, 0), nullptr); // crosses into the old chain
    const std::vector<std::uint8_t> h = {0xD0, 0xD1, 0xD2, 0xD3};
    std::memcpy(head, h.data(), h.size());
    EXPECT_EQ(Data(nb), Concat(h, chain.bytes(0, 18)));

    NdisAdvanceNetBufferDataStart(nb, 10, TRUE, nullptr);
    EXPECT_EQ(Geometry::of(nb), original);
    EXPECT_EQ(NewMdls(), 0);
    EXPECT_EQ(Data(nb), chain.bytes(6, 12));
}

TEST_F(NbData, Retreat_NbWithoutMdlChain) // DS-32, DS-34
{
    PNET_BUFFER nb = MakeNb(nullptr, 0, 0);
    const Geometry original = Geometry::of(nb);
    ASSERT_EQ(NdisRetreatNetBufferDataStart(nb, 20, 0, nullptr), NDIS_STATUS_SUCCESS);
    ASSERT_NE(nb->MdlChain, nullptr);
    EXPECT_EQ(nb->MdlChain->Next, nullptr);
    EXPECT_EQ(nb->DataLength, 20u);
    ASSERT_TRUE(GeometryOk(nb));
    EXPECT_NE(NdisGetDataBuffer(nb, 20, nullptr, 1, 0), nullptr);
    NdisAdvanceNetBufferDataStart(nb, 20, TRUE, nullptr);
    EXPECT_EQ(Geometry::of(nb), original);
    EXPECT_EQ(NewMdls(), 0);
}

TEST_F(NbData, Advance_FreeMdlFalse_KeepsMdl_SecondRetreatReusesIt) // DS-33, DS-34, DS-35
{
    Chain chain({1, 3, 16});
    PNET_BUFFER nb = MakeNb(&chain, 2, 10);
    const Geometry original = Geometry::of(nb);

    ASSERT_EQ(NdisRetreatNetBufferDataStart(nb, 14, 0, nullptr), NDIS_STATUS_SUCCESS);
    PMDL m = nb->MdlChain;
    ASSERT_EQ(NewMdls(), 1);
    auto *header = static_cast<std::uint8_t *>(NdisGetDataBuffer(nb, 12, nullptr, 1, 0));
    ASSERT_NE(header, nullptr);
    std::memset(header, 0x77, 12);

    // Receive-style advance: the MDL stays, the header stays in the unused space.
    NdisAdvanceNetBufferDataStart(nb, 14, FALSE, nullptr);
    EXPECT_EQ(nb->MdlChain, m);
    EXPECT_EQ(retreat_mdls(nb), 1u);
    EXPECT_EQ(NewMdls(), 1);
    EXPECT_EQ(nb->DataOffset, m->ByteCount + 2);
    EXPECT_EQ(nb->DataLength, original.DataLength);
    EXPECT_EQ(nb->CurrentMdl, original.CurrentMdl);
    EXPECT_EQ(nb->CurrentMdlOffset, original.CurrentMdlOffset);
    ASSERT_TRUE(GeometryOk(nb));
    EXPECT_EQ(Data(nb), chain.bytes(2, 10));

    // The second retreat finds the space and allocates nothing.
    const OPENNDIS_STATS before = openndis::test::live_objects();
    ASSERT_EQ(NdisRetreatNetBufferDataStart(nb, 14, 0, nullptr), NDIS_STATUS_SUCCESS);
    const OPENNDIS_STATS after = openndis::test::live_objects();
    EXPECT_EQ(after.Mdls, before.Mdls);
    EXPECT_EQ(after.MemoryBlocks, before.MemoryBlocks);
    EXPECT_EQ(nb->MdlChain, m);
    EXPECT_EQ(retreat_mdls(nb), 1u);
    ASSERT_TRUE(GeometryOk(nb));
    EXPECT_EQ(Data(nb), Concat(std::vector<std::uint8_t>(12, 0x77), chain.bytes(0, 12)));

    // The final advance with FreeMdl TRUE frees it.
    NdisAdvanceNetBufferDataStart(nb, 14, TRUE, nullptr);
    EXPECT_EQ(Geometry::of(nb), original);
    EXPECT_EQ(NewMdls(), 0);
}

TEST_F(NbData, Advance_FreeMdlTrue_KeepsMdlThatStillHoldsData) // DS-33
{
    Chain chain({16});
    PNET_BUFFER nb = MakeNb(&chain, 0, 16);
    ASSERT_EQ(NdisRetreatNetBufferDataStart(nb, 10, 0, nullptr), NDIS_STATUS_SUCCESS);
    PMDL m = nb->MdlChain;
    NdisAdvanceNetBufferDataStart(nb, 4, TRUE, nullptr); // 6 bytes of m are still used
    EXPECT_EQ(nb->MdlChain, m);
    EXPECT_EQ(retreat_mdls(nb), 1u);
    EXPECT_EQ(nb->CurrentMdl, m);
    ASSERT_TRUE(GeometryOk(nb));
    NdisAdvanceNetBufferDataStart(nb, 6, TRUE, nullptr);
    EXPECT_EQ(nb->MdlChain, chain.head());
    EXPECT_EQ(nb->DataOffset, 0u);
    EXPECT_EQ(NewMdls(), 0);
}

TEST_F(NbData, FreeNetBuffer_FreesRetreatMdlsKeptByAdvance) // DS-35, POOL-11
{
    Chain chain({8});
    PNET_BUFFER nb = MakeNb(&chain, 0, 8);
    ASSERT_EQ(NdisRetreatNetBufferDataStart(nb, 30, 0, nullptr), NDIS_STATUS_SUCCESS);
    NdisAdvanceNetBufferDataStart(nb, 30, FALSE, nullptr);
    ASSERT_EQ(NewMdls(), 1);
    FreeNb(nb);
    EXPECT_EQ(NewMdls(), 0);
}

TEST_F(NbData, Retreat_CustomAllocateAndFreeHandlers) // DS-32, DS-33
{
    Chain chain({8, 8});
    PNET_BUFFER nb = MakeNb(&chain, 3, 13);
    const Geometry original = Geometry::of(nb);
    g_handlers.extra = 16; // the handler gives more than asked: NDIS uses the MDL's ByteCount

    ASSERT_EQ(NdisRetreatNetBufferDataStart(nb, 20, 5, &TestAllocateMdl), NDIS_STATUS_SUCCESS);
    EXPECT_EQ(g_handlers.allocs, 1);
    EXPECT_EQ(g_handlers.last_request, 25u); // DataOffsetDelta + DataBackFill
    PMDL m = nb->MdlChain;
    EXPECT_EQ(m->ByteCount, 41u);
    EXPECT_EQ(nb->DataOffset, 41u - (20u - 3u));
    EXPECT_EQ(nb->DataLength, 33u);
    ASSERT_TRUE(GeometryOk(nb));
    EXPECT_EQ(Data(nb), Concat(std::vector<std::uint8_t>(17, 0xA5), chain.bytes(0, 16)));

    // A retreat within the space the handler gave does not call it again.
    NdisAdvanceNetBufferDataStart(nb, 5, FALSE, &TestFreeMdl);
    ASSERT_EQ(NdisRetreatNetBufferDataStart(nb, 5, 0, &TestAllocateMdl), NDIS_STATUS_SUCCESS);
    EXPECT_EQ(g_handlers.allocs, 1);
    EXPECT_EQ(g_handlers.frees, 0);

    NdisAdvanceNetBufferDataStart(nb, 20, TRUE, &TestFreeMdl);
    EXPECT_EQ(g_handlers.frees, 1);
    ASSERT_EQ(g_handlers.freed.size(), 1u);
    EXPECT_EQ(g_handlers.freed[0], m);
    EXPECT_EQ(Geometry::of(nb), original);
    EXPECT_EQ(NewMdls(), 0);
}

TEST_F(NbData, Advance_RuntimeMdlIsNotGivenToDriverFreeHandler) // DS-33 (NetFreeMdl only for
{                                                              // the driver's own MDLs)
    Chain chain({8});
    PNET_BUFFER nb = MakeNb(&chain, 0, 8);
    const Geometry original = Geometry::of(nb);
    ASSERT_EQ(NdisRetreatNetBufferDataStart(nb, 12, 0, nullptr), NDIS_STATUS_SUCCESS);
    NdisAdvanceNetBufferDataStart(nb, 12, TRUE, &TestFreeMdl);
    EXPECT_EQ(g_handlers.frees, 0);
    EXPECT_EQ(Geometry::of(nb), original);
    EXPECT_EQ(NewMdls(), 0);
}

TEST_F(NbData, Advance_DriverMdlWithoutFreeHandlerStaysAndIsReported) // DS-33, VER-03
{
    Chain chain({8});
    PNET_BUFFER nb = MakeNb(&chain, 0, 8);
    const Geometry original = Geometry::of(nb);
    ASSERT_EQ(NdisRetreatNetBufferDataStart(nb, 12, 0, &TestAllocateMdl), NDIS_STATUS_SUCCESS);
    PMDL m = nb->MdlChain;
    {
        VerifierCapture cap;
        NdisAdvanceNetBufferDataStart(nb, 12, TRUE, nullptr);
        EXPECT_VERIFIER_REPORTS(cap, "VER-03");
    }
    EXPECT_EQ(nb->MdlChain, m); // still there, still consistent
    EXPECT_EQ(retreat_mdls(nb), 1u);
    ASSERT_TRUE(GeometryOk(nb));
    EXPECT_EQ(Data(nb), chain.bytes(0, 8));
    NdisAdvanceNetBufferDataStart(nb, 0, TRUE, &TestFreeMdl); // now it can go
    EXPECT_EQ(g_handlers.frees, 1);
    EXPECT_EQ(Geometry::of(nb), original);
    EXPECT_EQ(NewMdls(), 0);
}

TEST_F(NbData, Retreat_AllocationFailureLeavesNbUnchanged) // DS-32
{
    Chain chain({16});
    PNET_BUFFER nb = MakeNb(&chain, 4, 8);
    const Geometry original = Geometry::of(nb);

    OpenNdisInjectAllocationFailures(0, 1);
    EXPECT_EQ(NdisRetreatNetBufferDataStart(nb, 10, 0, nullptr), NDIS_STATUS_RESOURCES);
    OpenNdisInjectAllocationFailures(0, 0);
    EXPECT_EQ(Geometry::of(nb), original);
    EXPECT_EQ(NewMdls(), 0);
    EXPECT_EQ(Data(nb), chain.bytes(4, 8));

    g_handlers.fail_at = 1; // the driver's NetAllocateMdl fails
    EXPECT_EQ(NdisRetreatNetBufferDataStart(nb, 10, 0, &TestAllocateMdl), NDIS_STATUS_RESOURCES);
    EXPECT_EQ(Geometry::of(nb), original);

    // A retreat within the unused space needs no allocation, so an armed failure does not hit.
    OpenNdisInjectAllocationFailures(0, 1);
    EXPECT_EQ(NdisRetreatNetBufferDataStart(nb, 4, 0, nullptr), NDIS_STATUS_SUCCESS);
    OpenNdisInjectAllocationFailures(0, 0);
    EXPECT_EQ(nb->DataOffset, 0u);
}

TEST_F(NbData, Retreat_OverflowReported) // DS-32, DS-07
{
    Chain chain({16});
    PNET_BUFFER nb = MakeNb(&chain, 0, 16);
    const Geometry original = Geometry::of(nb);
    VerifierCapture cap;
    EXPECT_EQ(NdisRetreatNetBufferDataStart(nb, MAXULONG - 15, 0, nullptr), NDIS_STATUS_FAILURE);
    EXPECT_EQ(NdisRetreatNetBufferDataStart(nb, 10, MAXULONG, nullptr), NDIS_STATUS_FAILURE);
    EXPECT_VERIFIER_REPORTS(cap, "DS-32", "DS-32");
    EXPECT_EQ(Geometry::of(nb), original);
    EXPECT_EQ(NewMdls(), 0);
}

TEST_F(NbData, Advance_BeyondDataLengthReported) // DS-33
{
    Chain chain({16});
    PNET_BUFFER nb = MakeNb(&chain, 4, 8);
    const Geometry original = Geometry::of(nb);
    VerifierCapture cap;
    NdisAdvanceNetBufferDataStart(nb, 9, TRUE, nullptr);
    EXPECT_VERIFIER_REPORTS(cap, "DS-33");
    EXPECT_EQ(Geometry::of(nb), original);
    cap.clear();
    NdisAdvanceNetBufferDataStart(nb, 8, FALSE, nullptr); // exactly all of it is fine
    EXPECT_VERIFIER_REPORTS(cap);
    EXPECT_EQ(nb->DataOffset, 12u);
    EXPECT_EQ(nb->DataLength, 0u);
    ASSERT_TRUE(GeometryOk(nb));
}

TEST_F(NbData, RetreatAdvance_RoundTripOverManyShapes) // DS-34
{
    // Every start offset and delta over a chain with 1-/3-byte and zero-length MDLs, both ways
    // of satisfying the retreat, FreeMdl TRUE and FALSE+TRUE.
    Chain chain({0, 1, 3, 0, 1, 3, 0});
    for (ULONG offset = 0; offset <= 8; ++offset) {
        for (ULONG delta = 1; delta <= 10; ++delta) {
            PNET_BUFFER nb = MakeNb(&chain, offset, 8 - offset);
            const Geometry original = Geometry::of(nb);
            ASSERT_EQ(NdisRetreatNetBufferDataStart(nb, delta, 2, nullptr), NDIS_STATUS_SUCCESS);
            ASSERT_TRUE(GeometryOk(nb)) << offset << " " << delta;
            EXPECT_EQ(NewMdls(), delta > offset ? 1 : 0);
            const std::vector<std::uint8_t> after = Data(nb);
            ASSERT_EQ(after.size(), 8 - offset + delta);
            EXPECT_EQ(std::vector<std::uint8_t>(after.end() - (8 - offset), after.end()),
                      chain.bytes(offset, 8 - offset));
            if (delta % 2 == 0) {
                NdisAdvanceNetBufferDataStart(nb, delta, FALSE, nullptr);
                ASSERT_TRUE(GeometryOk(nb));
                EXPECT_EQ(Data(nb), chain.bytes(offset, 8 - offset));
                NdisAdvanceNetBufferDataStart(nb, 0, TRUE, nullptr);
            } else {
                NdisAdvanceNetBufferDataStart(nb, delta, TRUE, nullptr);
            }
            EXPECT_EQ(Geometry::of(nb), original) << offset << " " << delta;
            EXPECT_EQ(NewMdls(), 0);
            FreeNb(nb);
        }
    }
}

// ================================ NBL-level retreat / advance ===============================

class NblData : public NbData {
protected:
    void SetUp() override
    {
        NbData::SetUp();
        NET_BUFFER_LIST_POOL_PARAMETERS p{};
        p.Header.Type = NDIS_OBJECT_TYPE_DEFAULT;
        p.Header.Revision = NET_BUFFER_LIST_POOL_PARAMETERS_REVISION_1;
        p.Header.Size = NDIS_SIZEOF_NET_BUFFER_LIST_POOL_PARAMETERS_REVISION_1;
        p.fAllocateNetBuffer = FALSE;
        p.PoolTag = kPoolTag;
        nbl_pool_ = NdisAllocateNetBufferListPool(nullptr, &p);
        ASSERT_NE(nbl_pool_, nullptr);
        nbl_ = NdisAllocateNetBufferList(nbl_pool_, 0, 0);
        ASSERT_NE(nbl_, nullptr);
    }
    void TearDown() override
    {
        if (nbl_ != nullptr) {
            for (PNET_BUFFER nb = nbl_->FirstNetBuffer; nb != nullptr;) {
                PNET_BUFFER next = nb->Next;
                nb->Next = nullptr;
                nb = next;
            }
            nbl_->FirstNetBuffer = nullptr;
            NdisFreeNetBufferList(nbl_);
        }
        if (nbl_pool_ != nullptr) {
            NdisFreeNetBufferListPool(nbl_pool_);
        }
        NbData::TearDown();
    }
    void Link(const std::vector<PNET_BUFFER> &nbs)
    {
        nbl_->FirstNetBuffer = nbs.front();
        for (std::size_t i = 0; i + 1 < nbs.size(); ++i) {
            nbs[i]->Next = nbs[i + 1];
        }
    }

    NDIS_HANDLE nbl_pool_ = nullptr;
    PNET_BUFFER_LIST nbl_ = nullptr;
};

TEST_F(NblData, RetreatAndAdvanceEveryNb) // DS-36, DS-34
{
    Chain c0({40}), c1({8, 8}), c2({2}), c3({1, 3, 0, 5});
    std::vector<PNET_BUFFER> nbs = {MakeNb(&c0, 30, 10), MakeNb(&c1, 0, 16), MakeNb(&c2, 1, 1),
                                    MakeNb(&c3, 4, 5)};
    Link(nbs);
    std::vector<Geometry> original;
    for (PNET_BUFFER nb : nbs) {
        original.push_back(Geometry::of(nb));
    }
    ASSERT_EQ(NdisRetreatNetBufferListDataStart(nbl_, 20, 4, nullptr, nullptr),
              NDIS_STATUS_SUCCESS);
    EXPECT_EQ(NewMdls(), 3); // NB 0 had room
    for (std::size_t i = 0; i < nbs.size(); ++i) {
        ASSERT_TRUE(GeometryOk(nbs[i])) << i;
        EXPECT_EQ(nbs[i]->DataLength, original[i].DataLength + 20) << i;
    }
    NdisAdvanceNetBufferListDataStart(nbl_, 20, TRUE, nullptr);
    for (std::size_t i = 0; i < nbs.size(); ++i) {
        EXPECT_EQ(Geometry::of(nbs[i]), original[i]) << i;
    }
    EXPECT_EQ(NewMdls(), 0);
}

TEST_F(NblData, RetreatFailingOnThirdOfFourRollsBackTheFirstTwo) // DS-36, DS-34
{
    Chain c0({40}), c1({8, 8}), c2({2}), c3({16});
    // NB 0 has room (no allocation), NB 1 and NB 2 need an MDL, NB 3 is never reached.
    std::vector<PNET_BUFFER> nbs = {MakeNb(&c0, 30, 10), MakeNb(&c1, 3, 13), MakeNb(&c2, 0, 2),
                                    MakeNb(&c3, 0, 16)};
    Link(nbs);
    std::vector<Geometry> original;
    std::vector<std::vector<std::uint8_t>> data;
    for (PNET_BUFFER nb : nbs) {
        original.push_back(Geometry::of(nb));
        data.push_back(Data(nb));
    }
    OpenNdisInjectAllocationFailures(1, 1); // NB 1's allocation succeeds, NB 2's fails
    EXPECT_EQ(NdisRetreatNetBufferListDataStart(nbl_, 20, 0, nullptr, nullptr),
              NDIS_STATUS_RESOURCES);
    OpenNdisInjectAllocationFailures(0, 0);
    for (std::size_t i = 0; i < nbs.size(); ++i) {
        EXPECT_EQ(Geometry::of(nbs[i]), original[i]) << i;
        EXPECT_EQ(Data(nbs[i]), data[i]) << i;
    }
    EXPECT_EQ(NewMdls(), 0);
}

TEST_F(NblData, RetreatRollbackUsesTheFreeHandler) // DS-36
{
    Chain c0({4}), c1({4}), c2({4}), c3({4});
    std::vector<PNET_BUFFER> nbs = {MakeNb(&c0, 0, 4), MakeNb(&c1, 0, 4), MakeNb(&c2, 0, 4),
                                    MakeNb(&c3, 0, 4)};
    Link(nbs);
    std::vector<Geometry> original;
    for (PNET_BUFFER nb : nbs) {
        original.push_back(Geometry::of(nb));
    }
    g_handlers.fail_at = 3;
    EXPECT_EQ(NdisRetreatNetBufferListDataStart(nbl_, 8, 0, &TestAllocateMdl, &TestFreeMdl),
              NDIS_STATUS_RESOURCES);
    EXPECT_EQ(g_handlers.allocs, 3);
    EXPECT_EQ(g_handlers.frees, 2);
    for (std::size_t i = 0; i < nbs.size(); ++i) {
        EXPECT_EQ(Geometry::of(nbs[i]), original[i]) << i;
    }
    EXPECT_EQ(NewMdls(), 0);
}

// Found by fuzz.nbl_geometry: an NB that kept a retreat MDL from an earlier FreeMdl FALSE advance
// must come back exactly (MdlChain, DataOffset, CurrentMdl) when a later NB of the same NBL
// cannot get its MDL — the retreat changes nothing until every NB is known to succeed.
TEST_F(NblData, RetreatFailureKeepsEarlierNbsRetreatMdlsExactly) // DS-36, DS-33, DS-35
{
    Chain c0({8}), c1({8});
    std::vector<PNET_BUFFER> nbs = {MakeNb(&c0, 0, 8), MakeNb(&c1, 0, 8)};
    Link(nbs);
    // NB 0 gets a runtime retreat MDL and keeps it after advancing back with FreeMdl FALSE.
    ASSERT_EQ(NdisRetreatNetBufferDataStart(nbs[0], 6, 0, nullptr), NDIS_STATUS_SUCCESS);
    NdisAdvanceNetBufferDataStart(nbs[0], 6, FALSE, nullptr);
    ASSERT_EQ(NewMdls(), 1);
    const Geometry kept = Geometry::of(nbs[0]);
    const Geometry other = Geometry::of(nbs[1]);
    const auto data0 = Data(nbs[0]);
    // NB 0 can retreat 4 into its kept MDL; NB 1 needs a new MDL, and that allocation fails.
    OpenNdisInjectAllocationFailures(0, 1);
    EXPECT_EQ(NdisRetreatNetBufferListDataStart(nbl_, 4, 0, nullptr, nullptr),
              NDIS_STATUS_RESOURCES);
    OpenNdisInjectAllocationFailures(0, 0);
    EXPECT_EQ(Geometry::of(nbs[0]), kept);
    EXPECT_EQ(Geometry::of(nbs[1]), other);
    EXPECT_EQ(Data(nbs[0]), data0);
    EXPECT_EQ(NewMdls(), 1); // still kept, still counted: freed with the NB
}

// ================================ NdisCopyFromNetBufferToNetBuffer ==========================

TEST_F(NbData, Copy_AllOffsetsAndLengthsAcrossMdlShapes) // DS-37
{
    Chain source({1, 3, 0, 2, 7, 0, 1}); // 14 bytes
    Chain dest_chain({5, 0, 4, 4, 1});   // 14 bytes
    PNET_BUFFER src = MakeNb(&source, 1, 12);
    PNET_BUFFER dst = MakeNb(&dest_chain, 2, 11);
    const Geometry src_before = Geometry::of(src);
    const Geometry dst_before = Geometry::of(dst);
    const std::vector<std::uint8_t> src_data = Data(src);
    for (ULONG so = 0; so <= 13; ++so) {
        for (ULONG dof = 0; dof <= 12; ++dof) {
            for (ULONG n = 0; n <= 13; ++n) {
                // Write 0x5A into every used destination byte, MDL by MDL.
                ULONG reset = 0;
                ULONG left = dst->DataLength;
                ULONG off = dst->CurrentMdlOffset;
                for (PMDL m = dst->CurrentMdl; m != nullptr && left != 0; m = m->Next, off = 0) {
                    const ULONG k = std::min(left, m->ByteCount - off);
                    std::memset(static_cast<std::uint8_t *>(
                                    MmGetSystemAddressForMdlSafe(m, NormalPagePriority)) +
                                    off,
                                0x5A, k);
                    left -= k;
                    reset += k;
                }
                ASSERT_EQ(reset, 11u);
                ULONG copied = 0xDEAD;
                ASSERT_EQ(NdisCopyFromNetBufferToNetBuffer(dst, dof, n, src, so, &copied),
                          NDIS_STATUS_SUCCESS);
                const ULONG src_left = so < 12 ? 12 - so : 0;
                const ULONG dst_left = dof < 11 ? 11 - dof : 0;
                const ULONG want = std::min({n, src_left, dst_left});
                ASSERT_EQ(copied, want) << so << " " << dof << " " << n;
                std::vector<std::uint8_t> expect(11, 0x5A);
                if (want != 0) {
                    std::copy_n(src_data.begin() + so, want, expect.begin() + dof);
                }
                ASSERT_EQ(Data(dst), expect) << so << " " << dof << " " << n;
                ASSERT_EQ(Geometry::of(dst), dst_before);
                ASSERT_EQ(Geometry::of(src), src_before);
            }
        }
    }
    EXPECT_EQ(Data(src), src_data);
    // The guard bytes around every destination MDL are untouched.
    for (std::size_t k = 0; k < 5; ++k) {
        const std::uint8_t *seg = dest_chain.segment(k);
        const ULONG len = dest_chain.mdl(k)->ByteCount;
        EXPECT_EQ(seg[len + Chain::kGuard - 1], Chain::kGuardByte) << k;
        EXPECT_EQ(seg[len], Chain::kGuardByte) << k;
    }
}

TEST_F(NbData, Copy_ShortCopiesAndOffsetsBeyondData) // DS-37
{
    Chain a({10, 10});
    Chain b({6});
    PNET_BUFFER src = MakeNb(&a, 5, 12);
    PNET_BUFFER dst = MakeNb(&b, 0, 6);
    ULONG copied = 99;
    EXPECT_EQ(NdisCopyFromNetBufferToNetBuffer(dst, 0, 100, src, 0, &copied), NDIS_STATUS_SUCCESS);
    EXPECT_EQ(copied, 6u); // destination full
    EXPECT_EQ(Data(dst), a.bytes(5, 6));
    EXPECT_EQ(NdisCopyFromNetBufferToNetBuffer(dst, 0, 100, src, 9, &copied), NDIS_STATUS_SUCCESS);
    EXPECT_EQ(copied, 3u); // source runs out
    EXPECT_EQ(NdisCopyFromNetBufferToNetBuffer(dst, 0, 4, src, 12, &copied), NDIS_STATUS_SUCCESS);
    EXPECT_EQ(copied, 0u); // source offset at the end of its data
    EXPECT_EQ(NdisCopyFromNetBufferToNetBuffer(dst, 0, 4, src, 500, &copied), NDIS_STATUS_SUCCESS);
    EXPECT_EQ(copied, 0u); // beyond it
    EXPECT_EQ(NdisCopyFromNetBufferToNetBuffer(dst, 6, 4, src, 0, &copied), NDIS_STATUS_SUCCESS);
    EXPECT_EQ(copied, 0u); // destination offset at the end of its data
    EXPECT_EQ(NdisCopyFromNetBufferToNetBuffer(dst, 7, 4, src, 0, &copied), NDIS_STATUS_SUCCESS);
    EXPECT_EQ(copied, 0u);
    EXPECT_EQ(NdisCopyFromNetBufferToNetBuffer(dst, 0, 0, src, 0, &copied), NDIS_STATUS_SUCCESS);
    EXPECT_EQ(copied, 0u);
}

TEST_F(NbData, Copy_WithinOneNbOverlapping) // DS-37: one MDL, overlapping ranges (memmove)
{
    Chain a({16});
    PNET_BUFFER nb = MakeNb(&a, 0, 16);
    ULONG copied = 0;
    ASSERT_EQ(NdisCopyFromNetBufferToNetBuffer(nb, 2, 10, nb, 0, &copied), NDIS_STATUS_SUCCESS);
    EXPECT_EQ(copied, 10u);
    std::vector<std::uint8_t> want = a.bytes(0, 16);
    std::vector<std::uint8_t> moved(want.begin(), want.begin() + 10);
    std::copy(moved.begin(), moved.end(), want.begin() + 2);
    EXPECT_EQ(Data(nb), want);
}

TEST_F(NbData, Copy_NullArgumentsReported) // DS-37
{
    Chain a({8});
    PNET_BUFFER nb = MakeNb(&a, 0, 8);
    VerifierCapture cap;
    ULONG copied = 123;
    EXPECT_EQ(NdisCopyFromNetBufferToNetBuffer(nullptr, 0, 4, nb, 0, &copied),
              NDIS_STATUS_FAILURE);
    EXPECT_EQ(copied, 0u);
    copied = 123;
    EXPECT_EQ(NdisCopyFromNetBufferToNetBuffer(nb, 0, 4, nullptr, 0, &copied),
              NDIS_STATUS_FAILURE);
    EXPECT_EQ(copied, 0u);
    EXPECT_EQ(NdisCopyFromNetBufferToNetBuffer(nb, 0, 4, nb, 0, nullptr), NDIS_STATUS_FAILURE);
    EXPECT_VERIFIER_REPORTS(cap, "DS-37", "DS-37", "DS-37");
    EXPECT_EQ(Data(nb), a.bytes(0, 8));
}

// ================================ NdisQueryNetBufferPhysicalCount ===========================

TEST_F(NbData, PhysicalCount_PageBoundaries)
{
    // Segment 0 = [4088, 4104) crosses one page boundary; segment 2 = [4136, 12328) two (page
    // offsets from the chain's page-aligned base; segment 1 is a zero-length MDL).
    Chain chain({16, 0, 8192}, 4096 - 8);
    PNET_BUFFER all = MakeNb(&chain, 0, 16 + 8192);
    EXPECT_EQ(NdisQueryNetBufferPhysicalCount(all), 2u + 3u);
    PNET_BUFFER low = MakeNb(&chain, 0, 8); // [4088, 4096): one page
    EXPECT_EQ(NdisQueryNetBufferPhysicalCount(low), 1u);
    PNET_BUFFER high = MakeNb(&chain, 8, 8); // [4096, 4104): one page
    EXPECT_EQ(NdisQueryNetBufferPhysicalCount(high), 1u);
    PNET_BUFFER across = MakeNb(&chain, 4, 8); // [4092, 4100): two pages
    EXPECT_EQ(NdisQueryNetBufferPhysicalCount(across), 2u);
    PNET_BUFFER two_mdls = MakeNb(&chain, 12, 8); // [4100, 4104) + [4136, 4140)
    EXPECT_EQ(NdisQueryNetBufferPhysicalCount(two_mdls), 2u);
    PNET_BUFFER empty = MakeNb(&chain, 16, 0);
    EXPECT_EQ(NdisQueryNetBufferPhysicalCount(empty), 0u);
}

} // namespace
