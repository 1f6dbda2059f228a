// test_nbl_check_internal.cpp — the NB/NBL geometry and flag checks the runtime runs at every
// boundary when the verifier's checks are on (core/nb_geometry.hpp; STYLE principle 4).
//
// White-box: calls ndis::core::nb_check / nbl_check directly on NBs built from real pools.
#include "openndis_test.hpp"

#include "core/nb_geometry.hpp"

#include <ndis.h>

#include <gtest/gtest.h>

#include <string>

namespace {

class NblCheck : public ::testing::Test {
protected:
    void SetUp() override
    {
        NET_BUFFER_LIST_POOL_PARAMETERS p{};
        p.Header.Type = NDIS_OBJECT_TYPE_DEFAULT;
        p.Header.Revision = NET_BUFFER_LIST_POOL_PARAMETERS_REVISION_1;
        p.Header.Size = NDIS_SIZEOF_NET_BUFFER_LIST_POOL_PARAMETERS_REVISION_1;
        p.fAllocateNetBuffer = TRUE;
        p.DataSize = 64;
        p.PoolTag = 'kcbN';
        pool_ = NdisAllocateNetBufferListPool(nullptr, &p);
        ASSERT_NE(pool_, nullptr);
        nbl_ = NdisAllocateNetBufferList(pool_, 0, 0);
        ASSERT_NE(nbl_, nullptr);
    }
    void TearDown() override
    {
        NdisFreeNetBufferList(nbl_);
        NdisFreeNetBufferListPool(pool_);
    }
    bool check(std::string *why = nullptr) { return ndis::core::nbl_check(nbl_, why); }

    NDIS_HANDLE pool_ = nullptr;
    PNET_BUFFER_LIST nbl_ = nullptr;
};

// DS-19: IS_IPV4 and IS_IPV6 exclude each other; IS_TCP and IS_UDP exclude each other and each
// needs an IP flag; the two SPLIT_AT_* flags exclude each other.
TEST_F(NblCheck, FlagConsistency_DS19)
{
    struct row {
        ULONG flags;
        bool ok;
    };
    const row rows[] = {
        {0, true},
        {NDIS_NBL_FLAGS_IS_IPV4, true},
        {NDIS_NBL_FLAGS_IS_IPV6 | NDIS_NBL_FLAGS_IS_TCP, true},
        {NDIS_NBL_FLAGS_IS_IPV4 | NDIS_NBL_FLAGS_IS_UDP, true},
        {NDIS_NBL_FLAGS_IS_IPV4 | NDIS_NBL_FLAGS_IS_IPV6, false},
        {NDIS_NBL_FLAGS_IS_IPV4 | NDIS_NBL_FLAGS_IS_TCP | NDIS_NBL_FLAGS_IS_UDP, false},
        {NDIS_NBL_FLAGS_IS_TCP, false},
        {NDIS_NBL_FLAGS_IS_UDP, false},
        {NDIS_NBL_FLAGS_SPLIT_AT_UPPER_LAYER_PROTOCOL_HEADER, true},
        {NDIS_NBL_FLAGS_SPLIT_AT_UPPER_LAYER_PROTOCOL_HEADER |
             NDIS_NBL_FLAGS_SPLIT_AT_UPPER_LAYER_PROTOCOL_PAYLOAD,
         false},
    };
    for (const row &r : rows) {
        nbl_->NblFlags = r.flags;
        std::string why;
        EXPECT_EQ(check(&why), r.ok) << "NblFlags 0x" << std::hex << r.flags;
        if (!r.ok) {
            EXPECT_NE(why.find("DS-19"), std::string::npos) << why;
        }
    }
    nbl_->NblFlags = 0;
}

// DS-03 / DS-04: the window must fit the chain and CurrentMdl/CurrentMdlOffset must agree with
// DataOffset; the check names the NB and what is wrong.
TEST_F(NblCheck, GeometryBreaksAreFound_DS03_DS04)
{
    PNET_BUFFER nb = NET_BUFFER_LIST_FIRST_NB(nbl_);
    ASSERT_TRUE(check());
    std::string why;

    nb->DataLength = 65; // one byte beyond the 64-byte chain
    EXPECT_FALSE(check(&why));
    EXPECT_NE(why.find("exceeds"), std::string::npos) << why;
    nb->DataLength = 64;

    nb->DataOffset = 8; // CurrentMdlOffset still 0
    nb->DataLength = 8;
    EXPECT_FALSE(check(&why));
    EXPECT_NE(why.find("DataOffset"), std::string::npos) << why;
    NdisAdjustNetBufferCurrentMdl(nb); // DS-05 repairs it
    EXPECT_TRUE(check());

    MDL foreign{};
    nb->CurrentMdl = &foreign; // not on the chain
    EXPECT_FALSE(check(&why));
    EXPECT_NE(why.find("not on the NB's MDL chain"), std::string::npos) << why;
    NdisAdjustNetBufferCurrentMdl(nb);

    nb->DataOffset = 0;
    nb->DataLength = 64;
    NdisAdjustNetBufferCurrentMdl(nb);
    EXPECT_TRUE(check());
}

// DS-04 boundary rule: a CurrentMdl left at the end of an MDL (offset == ByteCount) names the
// same first byte as the next MDL at offset 0, and both pass.
TEST_F(NblCheck, CurrentMdlAtEndOfPreviousMdlIsValid_DS04)
{
    static UCHAR a[16], b[16];
    PMDL m1 = NdisAllocateMdl(nullptr, a, sizeof a);
    PMDL m2 = NdisAllocateMdl(nullptr, b, sizeof b);
    ASSERT_TRUE(m1 && m2);
    m1->Next = m2;
    NET_BUFFER_POOL_PARAMETERS p{};
    p.Header.Type = NDIS_OBJECT_TYPE_DEFAULT;
    p.Header.Revision = NET_BUFFER_POOL_PARAMETERS_REVISION_1;
    p.Header.Size = NDIS_SIZEOF_NET_BUFFER_POOL_PARAMETERS_REVISION_1;
    p.PoolTag = 'kcbN';
    NDIS_HANDLE nbp = NdisAllocateNetBufferPool(nullptr, &p);
    ASSERT_NE(nbp, nullptr);
    PNET_BUFFER nb = NdisAllocateNetBuffer(nbp, m1, 16, 8);
    ASSERT_NE(nb, nullptr);
    EXPECT_EQ(nb->CurrentMdl, m2);
    EXPECT_EQ(nb->CurrentMdlOffset, 0u);
    EXPECT_TRUE(ndis::core::nb_check(nb, nullptr));
    nb->CurrentMdl = m1;
    nb->CurrentMdlOffset = 16;
    EXPECT_TRUE(ndis::core::nb_check(nb, nullptr));
    NdisFreeNetBuffer(nb);
    NdisFreeNetBufferPool(nbp);
    NdisFreeMdl(m2);
    NdisFreeMdl(m1);
}

} // namespace
