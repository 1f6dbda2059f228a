// test_nblqueue.cpp — unit tests for <ndis/nblqueue.h> (NBL queues and chain classification).
//
// BUILD NOTE: this test also compiles nblqueue_c_api.c (as C11) and links it into the same
// executable; it provides nblqueue_c_selftest(), the C-language half of these tests.
//
// The helpers never call the runtime, so NBLs here are plain value-initialised NET_BUFFER_LIST
// objects in a std::vector (not pool NBLs; DS-27 does not apply to code that never reaches the
// runtime). Only Next and SourceHandle (and Flags, as a classification value) are used.
//
// SPEC: DS-01 (chain shape: NULL-terminated through Next), DS-25 (the owner may relink Next; NB
// lists are never touched), MS-07 / MS-11 / PS-13 / PS-14 (completion chains mix originators
// and are demultiplexed by SourceHandle in order, each NBL exactly once).

#include <gtest/gtest.h>

// Standard headers before <ndis/...>: ndis/types.h defines the SAL names __in/__out, which
// libstdc++ uses as identifiers.
#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <iterator>
#include <map>
#include <random>
#include <ranges>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include <ndis/nblqueue.h>

extern "C" int nblqueue_c_selftest(void);

namespace {

using nbl_vec = std::vector<PNET_BUFFER_LIST>;

NDIS_HANDLE handle(std::uintptr_t v) { return reinterpret_cast<NDIS_HANDLE>(v); }
const NDIS_HANDLE A = handle(0xA0), B = handle(0xB0), C = handle(0xC0);

// A set of zeroed NBLs that live for one test.
class nbl_set {
public:
    explicit nbl_set(std::size_t n) : _storage(n) {}
    PNET_BUFFER_LIST operator[](std::size_t i) { return &_storage.at(i); }
    std::size_t size() const { return _storage.size(); }

private:
    std::vector<NET_BUFFER_LIST> _storage;
};

// Links the given NBLs, in order, into a NULL-terminated chain (DS-01); nullptr if empty.
PNET_BUFFER_LIST make_chain(const nbl_vec &nbls)
{
    for (std::size_t i = 0; i + 1 < nbls.size(); ++i)
        nbls[i]->Next = nbls[i + 1];
    if (!nbls.empty())
        nbls.back()->Next = nullptr;
    return nbls.empty() ? nullptr : nbls.front();
}

// Walks a chain into a vector (bounded, so a broken chain fails instead of hanging).
nbl_vec to_vec(PNET_BUFFER_LIST chain)
{
    nbl_vec out;
    for (; chain != nullptr && out.size() <= 1'000'000; chain = chain->Next)
        out.push_back(chain);
    return out;
}

// Independent check of the NBL_QUEUE invariants against an expected content.
testing::AssertionResult queue_is(const NBL_QUEUE &q, const nbl_vec &want)
{
    const nbl_vec got = to_vec(q.First);
    if (got != want)
        return testing::AssertionFailure() << "content differs: " << got.size() << " NBLs, want "
                                           << want.size();
    PNET_BUFFER_LIST *const want_last =
        want.empty() ? const_cast<PNET_BUFFER_LIST *>(&q.First) : &want.back()->Next;
    if (q.Last != want_last)
        return testing::AssertionFailure() << "Last is stale";
    if (!NdisIsNblQueueValid(&q))
        return testing::AssertionFailure() << "NdisIsNblQueueValid disagrees";
    if (static_cast<bool>(NdisIsNblQueueEmpty(&q)) != want.empty())
        return testing::AssertionFailure() << "NdisIsNblQueueEmpty wrong";
    return testing::AssertionSuccess();
}

testing::AssertionResult counted_is(const NBL_COUNTED_QUEUE &q, const nbl_vec &want)
{
    auto r = queue_is(q.Queue, want);
    if (!r)
        return r;
    if (q.NblCount != want.size() || NdisGetNblCountedQueueCount(&q) != want.size())
        return testing::AssertionFailure() << "NblCount " << q.NblCount << ", want " << want.size();
    if (!NdisIsNblCountedQueueValid(&q))
        return testing::AssertionFailure() << "NdisIsNblCountedQueueValid disagrees";
    if (static_cast<bool>(NdisIsNblCountedQueueEmpty(&q)) != want.empty())
        return testing::AssertionFailure() << "NdisIsNblCountedQueueEmpty wrong";
    return testing::AssertionSuccess();
}

testing::AssertionResult queue_is(const ndis::nbl_queue &q, const nbl_vec &want)
{
    auto r = queue_is(*q.native(), want);
    if (r && (q.empty() != want.empty() || !q.valid()))
        return testing::AssertionFailure() << "empty()/valid() wrong";
    return r;
}

testing::AssertionResult queue_is(const ndis::nbl_counted_queue &q, const nbl_vec &want)
{
    auto r = counted_is(*q.native(), want);
    if (r && (q.empty() != want.empty() || q.size() != want.size() || !q.valid()))
        return testing::AssertionFailure() << "empty()/size()/valid() wrong";
    return r;
}

// Sets SourceHandle (and Flags, as the value for the ByValue forms) of each NBL.
void set_sources(const nbl_vec &nbls, const std::vector<NDIS_HANDLE> &handles)
{
    for (std::size_t i = 0; i < nbls.size(); ++i) {
        nbls[i]->SourceHandle = handles[i];
        nbls[i]->Flags = static_cast<ULONG>(reinterpret_cast<std::uintptr_t>(handles[i]));
    }
}

ULONG_PTR flags_value(PNET_BUFFER_LIST nbl) { return nbl->Flags; }

struct run_record {
    NDIS_HANDLE source;
    nbl_vec nbls;
    SIZE_T count;
    bool operator==(const run_record &) const = default;
};

// Fills garbage into a queue struct, to prove the Partial* forms initialise their output.
template <class T> void scribble(T &t) { std::memset(static_cast<void *>(&t), 0xCD, sizeof t); }

} // namespace

// ================================ C API: chains (DS-01) ======================================

TEST(NblChain, CountAndLast)
{
    nbl_set n(5);
    SIZE_T count = 99;
    EXPECT_EQ(NdisCountNblChain(nullptr), 0u);
    EXPECT_EQ(NdisNumNblsInNblChain(nullptr), 0u);
    EXPECT_EQ(NdisLastNblInNblChain(nullptr), nullptr);
    EXPECT_EQ(NdisLastNblInNblChainWithCount(nullptr, &count), nullptr);
    EXPECT_EQ(count, 0u);

    PNET_BUFFER_LIST one = make_chain({n[0]});
    EXPECT_EQ(NdisCountNblChain(one), 1u);
    EXPECT_EQ(NdisLastNblInNblChain(one), n[0]);
    EXPECT_EQ(NdisLastNblInNblChainWithCount(one, &count), n[0]);
    EXPECT_EQ(count, 1u);

    PNET_BUFFER_LIST many = make_chain({n[0], n[1], n[2], n[3], n[4]});
    EXPECT_EQ(NdisCountNblChain(many), 5u);
    EXPECT_EQ(NdisNumNblsInNblChain(many), 5u);
    EXPECT_EQ(NdisLastNblInNblChain(many), n[4]);
    EXPECT_EQ(NdisLastNblInNblChainWithCount(many, &count), n[4]);
    EXPECT_EQ(count, 5u);
    EXPECT_EQ(to_vec(many), (nbl_vec{n[0], n[1], n[2], n[3], n[4]})); // nothing relinked
}

// ================================ C API: NBL_QUEUE ===========================================

TEST(NblQueue, InitializeAndEmpty)
{
    NBL_QUEUE q;
    scribble(q);
    NdisInitializeNblQueue(&q);
    EXPECT_EQ(q.First, nullptr);
    EXPECT_EQ(q.Last, &q.First);
    EXPECT_TRUE(NdisIsNblQueueEmpty(&q));
    EXPECT_TRUE(queue_is(q, {}));
    EXPECT_EQ(NdisGetNblChainFromNblQueue(&q), nullptr);
    EXPECT_EQ(NdisPopFirstNblFromNblQueue(&q), nullptr);
    EXPECT_EQ(NdisPopAllFromNblQueue(&q), nullptr);
    EXPECT_TRUE(queue_is(q, {}));
}

TEST(NblQueue, AppendSingleClearsNextAndKeepsOrder)
{
    nbl_set n(4);
    NBL_QUEUE q;
    NdisInitializeNblQueue(&q);
    make_chain({n[0], n[3]}); // n[0]->Next is set: the append must cut it
    NdisAppendSingleNblToNblQueue(&q, n[0]);
    EXPECT_EQ(n[0]->Next, nullptr);
    EXPECT_TRUE(queue_is(q, {n[0]}));
    NdisAppendSingleNblToNblQueue(&q, n[1]);
    EXPECT_TRUE(queue_is(q, {n[0], n[1]}));
    NdisAppendSingleNblToNblQueue(&q, n[2]);
    EXPECT_TRUE(queue_is(q, {n[0], n[1], n[2]}));
}

TEST(NblQueue, AppendChain)
{
    nbl_set n(6);
    NBL_QUEUE q;
    NdisInitializeNblQueue(&q);
    NdisAppendNblChainToNblQueue(&q, nullptr); // NULL chain: no-op
    EXPECT_TRUE(queue_is(q, {}));
    NdisAppendNblChainToNblQueue(&q, make_chain({n[0]}));
    EXPECT_TRUE(queue_is(q, {n[0]}));
    NdisAppendNblChainToNblQueue(&q, make_chain({n[1], n[2], n[3]}));
    EXPECT_TRUE(queue_is(q, {n[0], n[1], n[2], n[3]}));
    NdisAppendNblChainToNblQueue(&q, nullptr);
    EXPECT_TRUE(queue_is(q, {n[0], n[1], n[2], n[3]}));
    NdisAppendNblChainToNblQueueFast(&q, make_chain({n[4], n[5]}), n[5]);
    EXPECT_TRUE(queue_is(q, {n[0], n[1], n[2], n[3], n[4], n[5]}));
}

TEST(NblQueue, AppendChainFastToEmptyAndSingle)
{
    nbl_set n(3);
    NBL_QUEUE q;
    NdisInitializeNblQueue(&q);
    NdisAppendNblChainToNblQueueFast(&q, make_chain({n[0], n[1]}), n[1]);
    EXPECT_TRUE(queue_is(q, {n[0], n[1]}));
    NdisAppendNblChainToNblQueueFast(&q, make_chain({n[2]}), n[2]);
    EXPECT_TRUE(queue_is(q, {n[0], n[1], n[2]}));
}

TEST(NblQueue, AppendQueueToQueueAllCases)
{
    nbl_set n(6);
    NBL_QUEUE dst, src;
    NdisInitializeNblQueue(&dst);
    NdisInitializeNblQueue(&src);

    NdisAppendNblQueueToNblQueue(&dst, &src); // empty → empty
    EXPECT_TRUE(queue_is(dst, {}));
    EXPECT_TRUE(queue_is(src, {}));

    NdisAppendNblChainToNblQueue(&src, make_chain({n[0], n[1]})); // full → empty
    NdisAppendNblQueueToNblQueue(&dst, &src);
    EXPECT_TRUE(queue_is(dst, {n[0], n[1]}));
    EXPECT_TRUE(queue_is(src, {}));

    NdisAppendNblQueueToNblQueue(&dst, &src); // empty → full
    EXPECT_TRUE(queue_is(dst, {n[0], n[1]}));
    EXPECT_TRUE(queue_is(src, {}));

    NdisAppendNblChainToNblQueue(&src, make_chain({n[2], n[3]})); // full → full (NDL name)
    NdisAppendNblQueueToNblQueueFast(&dst, &src);
    EXPECT_TRUE(queue_is(dst, {n[0], n[1], n[2], n[3]}));
    EXPECT_TRUE(queue_is(src, {}));

    NdisAppendNblQueueToNblQueue(&dst, &dst); // self: no-op, no cycle
    EXPECT_TRUE(queue_is(dst, {n[0], n[1], n[2], n[3]}));

    NdisAppendSingleNblToNblQueue(&src, n[4]); // the emptied source is reusable
    NdisAppendSingleNblToNblQueue(&dst, n[5]); // and the destination's Last is right
    EXPECT_TRUE(queue_is(src, {n[4]}));
    EXPECT_TRUE(queue_is(dst, {n[0], n[1], n[2], n[3], n[5]}));
}

TEST(NblQueue, PopFirstToEmptyThenAppend)
{
    nbl_set n(4);
    NBL_QUEUE q;
    NdisInitializeNblQueue(&q);
    NdisAppendNblChainToNblQueue(&q, make_chain({n[0], n[1], n[2]}));

    EXPECT_EQ(NdisPopFirstNblFromNblQueue(&q), n[0]);
    EXPECT_EQ(n[0]->Next, nullptr);
    EXPECT_TRUE(queue_is(q, {n[1], n[2]}));
    EXPECT_EQ(NdisPopFirstNblFromNblQueue(&q), n[1]);
    EXPECT_EQ(n[1]->Next, nullptr);
    EXPECT_TRUE(queue_is(q, {n[2]}));
    EXPECT_EQ(NdisPopFirstNblFromNblQueue(&q), n[2]);
    EXPECT_TRUE(queue_is(q, {})); // Last back to &First
    EXPECT_EQ(NdisPopFirstNblFromNblQueue(&q), nullptr);

    NdisAppendSingleNblToNblQueue(&q, n[3]);
    EXPECT_TRUE(queue_is(q, {n[3]}));
    EXPECT_EQ(NdisPopFirstNblFromNblQueue(&q), n[3]);
    NdisAppendNblChainToNblQueue(&q, make_chain({n[0], n[1]}));
    EXPECT_TRUE(queue_is(q, {n[0], n[1]}));
}

TEST(NblQueue, GetChainPeeksPopAllTakes)
{
    nbl_set n(3);
    NBL_QUEUE q;
    NdisInitializeNblQueue(&q);
    NdisAppendNblChainToNblQueue(&q, make_chain({n[0], n[1], n[2]}));

    EXPECT_EQ(NdisGetNblChainFromNblQueue(&q), n[0]);
    EXPECT_TRUE(queue_is(q, {n[0], n[1], n[2]})); // unchanged

    PNET_BUFFER_LIST chain = NdisPopAllFromNblQueue(&q);
    EXPECT_EQ(to_vec(chain), (nbl_vec{n[0], n[1], n[2]}));
    EXPECT_TRUE(queue_is(q, {}));
    NdisAppendSingleNblToNblQueue(&q, n[1]);
    EXPECT_TRUE(queue_is(q, {n[1]}));
}

TEST(NblQueue, ValidityCheckCatchesBrokenQueues)
{
    nbl_set n(4);
    NBL_QUEUE q;
    NdisInitializeNblQueue(&q);
    NdisAppendNblChainToNblQueue(&q, make_chain({n[0], n[1], n[2]}));
    EXPECT_TRUE(NdisIsNblQueueValid(&q));

    q.Last = &n[1]->Next; // stale Last in the middle
    EXPECT_FALSE(NdisIsNblQueueValid(&q));
    q.Last = nullptr;
    EXPECT_FALSE(NdisIsNblQueueValid(&q));
    q.Last = &n[2]->Next;
    n[2]->Next = n[0]; // cycle: must terminate and say invalid
    EXPECT_FALSE(NdisIsNblQueueValid(&q));
    n[2]->Next = n[2]; // self-loop
    EXPECT_FALSE(NdisIsNblQueueValid(&q));
    n[2]->Next = nullptr;
    EXPECT_TRUE(NdisIsNblQueueValid(&q));

    NBL_QUEUE empty;
    NdisInitializeNblQueue(&empty);
    empty.Last = &n[3]->Next; // empty but Last elsewhere
    EXPECT_FALSE(NdisIsNblQueueValid(&empty));

    NBL_COUNTED_QUEUE cq;
    NdisInitializeNblCountedQueue(&cq);
    NdisAppendNblChainToNblCountedQueue(&cq, NdisPopAllFromNblQueue(&q));
    EXPECT_TRUE(NdisIsNblCountedQueueValid(&cq));
    cq.NblCount = 2;
    EXPECT_FALSE(NdisIsNblCountedQueueValid(&cq));
}

// ================================ C API: NBL_COUNTED_QUEUE ===================================

TEST(NblCountedQueue, InitializeAndEmpty)
{
    NBL_COUNTED_QUEUE q;
    scribble(q);
    NdisInitializeNblCountedQueue(&q);
    EXPECT_TRUE(counted_is(q, {}));
    EXPECT_EQ(NdisGetNblChainFromNblCountedQueue(&q), nullptr);
    EXPECT_EQ(NdisPopFirstNblFromNblCountedQueue(&q), nullptr);
    EXPECT_EQ(NdisPopAllFromNblCountedQueue(&q), nullptr);
    EXPECT_TRUE(counted_is(q, {}));
}

TEST(NblCountedQueue, AppendsCount)
{
    nbl_set n(7);
    NBL_COUNTED_QUEUE q;
    NdisInitializeNblCountedQueue(&q);
    make_chain({n[0], n[6]});
    NdisAppendSingleNblToNblCountedQueue(&q, n[0]);
    EXPECT_EQ(n[0]->Next, nullptr);
    EXPECT_TRUE(counted_is(q, {n[0]}));
    NdisAppendNblChainToNblCountedQueue(&q, nullptr);
    EXPECT_TRUE(counted_is(q, {n[0]}));
    NdisAppendNblChainToNblCountedQueue(&q, make_chain({n[1], n[2], n[3]}));
    EXPECT_TRUE(counted_is(q, {n[0], n[1], n[2], n[3]}));
    NdisAppendNblChainToNblCountedQueueFast(&q, make_chain({n[4], n[5]}), n[5], 2);
    EXPECT_TRUE(counted_is(q, {n[0], n[1], n[2], n[3], n[4], n[5]}));

    NBL_COUNTED_QUEUE e;
    NdisInitializeNblCountedQueue(&e);
    NdisAppendNblChainToNblCountedQueueFast(&e, make_chain({n[6]}), n[6], 1);
    EXPECT_TRUE(counted_is(e, {n[6]}));
}

TEST(NblCountedQueue, AppendQueueToQueueAllCases)
{
    nbl_set n(6);
    NBL_COUNTED_QUEUE dst, src;
    NdisInitializeNblCountedQueue(&dst);
    NdisInitializeNblCountedQueue(&src);

    NdisAppendNblCountedQueueToNblCountedQueue(&dst, &src);
    EXPECT_TRUE(counted_is(dst, {}));
    EXPECT_TRUE(counted_is(src, {}));

    NdisAppendNblChainToNblCountedQueue(&src, make_chain({n[0], n[1]}));
    NdisAppendNblCountedQueueToNblCountedQueue(&dst, &src);
    EXPECT_TRUE(counted_is(dst, {n[0], n[1]}));
    EXPECT_TRUE(counted_is(src, {}));

    NdisAppendNblCountedQueueToNblCountedQueue(&dst, &src);
    EXPECT_TRUE(counted_is(dst, {n[0], n[1]}));

    NdisAppendNblChainToNblCountedQueue(&src, make_chain({n[2], n[3], n[4]}));
    NdisAppendNblCountedQueueToNblCountedQueueFast(&dst, &src);
    EXPECT_TRUE(counted_is(dst, {n[0], n[1], n[2], n[3], n[4]}));
    EXPECT_TRUE(counted_is(src, {}));

    NdisAppendNblCountedQueueToNblCountedQueue(&dst, &dst);
    EXPECT_TRUE(counted_is(dst, {n[0], n[1], n[2], n[3], n[4]}));

    NdisAppendSingleNblToNblCountedQueue(&dst, n[5]);
    EXPECT_TRUE(counted_is(dst, {n[0], n[1], n[2], n[3], n[4], n[5]}));
}

TEST(NblCountedQueue, PopFirstAndPopAll)
{
    nbl_set n(3);
    NBL_COUNTED_QUEUE q;
    NdisInitializeNblCountedQueue(&q);
    NdisAppendNblChainToNblCountedQueue(&q, make_chain({n[0], n[1], n[2]}));
    EXPECT_EQ(NdisGetNblChainFromNblCountedQueue(&q), n[0]);
    EXPECT_TRUE(counted_is(q, {n[0], n[1], n[2]}));

    EXPECT_EQ(NdisPopFirstNblFromNblCountedQueue(&q), n[0]);
    EXPECT_EQ(n[0]->Next, nullptr);
    EXPECT_TRUE(counted_is(q, {n[1], n[2]}));
    EXPECT_EQ(NdisPopFirstNblFromNblCountedQueue(&q), n[1]);
    EXPECT_EQ(NdisPopFirstNblFromNblCountedQueue(&q), n[2]);
    EXPECT_TRUE(counted_is(q, {}));
    EXPECT_EQ(NdisPopFirstNblFromNblCountedQueue(&q), nullptr);
    EXPECT_TRUE(counted_is(q, {}));

    NdisAppendSingleNblToNblCountedQueue(&q, n[2]);
    NdisAppendSingleNblToNblCountedQueue(&q, n[0]);
    EXPECT_TRUE(counted_is(q, {n[2], n[0]}));
    EXPECT_EQ(to_vec(NdisPopAllFromNblCountedQueue(&q)), (nbl_vec{n[2], n[0]}));
    EXPECT_TRUE(counted_is(q, {}));
    NdisAppendSingleNblToNblCountedQueue(&q, n[1]);
    EXPECT_TRUE(counted_is(q, {n[1]}));
}

// ================================ C API: classification (MS-07, MS-11, PS-13) ================

// A A B A C C: runs are A×2, B×1, A×1, C×2 — consecutive, in order, not grouped.
class NblClassify : public testing::Test {
protected:
    nbl_set n{6};
    nbl_vec all{n[0], n[1], n[2], n[3], n[4], n[5]};
    void SetUp() override { set_sources(all, {A, A, B, A, C, C}); }
    const std::vector<run_record> want{
        {A, {n[0], n[1]}, 2}, {B, {n[2]}, 1}, {A, {n[3]}, 1}, {C, {n[4], n[5]}, 2}};
};

TEST_F(NblClassify, PartialBySourceHandleWalksRunsInOrder)
{
    PNET_BUFFER_LIST chain = make_chain(all);
    std::vector<run_record> got;
    while (chain != nullptr) {
        NBL_QUEUE run;
        scribble(run);
        PNET_BUFFER_LIST before = chain;
        NDIS_HANDLE source = NdisPartialClassifyNblChainBySourceHandle(&chain, &run);
        EXPECT_EQ(run.First, before);
        EXPECT_TRUE(queue_is(run, to_vec(run.First))); // terminated, Last exact
        got.push_back({source, to_vec(run.First), NdisCountNblChain(run.First)});
    }
    EXPECT_EQ(got, want);
}

TEST_F(NblClassify, PartialBySourceHandleWithCount)
{
    PNET_BUFFER_LIST chain = make_chain(all);
    std::vector<run_record> got;
    while (chain != nullptr) {
        NBL_COUNTED_QUEUE run;
        scribble(run);
        NDIS_HANDLE source = NdisPartialClassifyNblChainBySourceHandleWithCount(&chain, &run);
        EXPECT_TRUE(counted_is(run, to_vec(run.Queue.First)));
        got.push_back({source, to_vec(run.Queue.First), run.NblCount});
    }
    EXPECT_EQ(got, want);
}

TEST_F(NblClassify, PartialByValueAndWithCount)
{
    PNET_BUFFER_LIST chain = make_chain(all);
    std::vector<run_record> got;
    bool counted = false;
    while (chain != nullptr) {
        if (counted) {
            NBL_COUNTED_QUEUE run;
            ULONG_PTR v = NdisPartialClassifyNblChainByValueWithCount(&chain, &run, flags_value);
            EXPECT_TRUE(counted_is(run, to_vec(run.Queue.First)));
            got.push_back({handle(v), to_vec(run.Queue.First), run.NblCount});
        } else {
            NBL_QUEUE run;
            ULONG_PTR v = NdisPartialClassifyNblChainByValue(&chain, &run, flags_value);
            EXPECT_TRUE(queue_is(run, to_vec(run.First)));
            got.push_back({handle(v), to_vec(run.First), NdisCountNblChain(run.First)});
        }
        counted = !counted;
    }
    EXPECT_EQ(got, want);
}

TEST_F(NblClassify, PartialOnNullChainGivesEmptyRun)
{
    PNET_BUFFER_LIST chain = nullptr;
    NBL_QUEUE run;
    scribble(run);
    EXPECT_EQ(NdisPartialClassifyNblChainBySourceHandle(&chain, &run), nullptr);
    EXPECT_TRUE(queue_is(run, {}));
    EXPECT_EQ(chain, nullptr);
    NBL_COUNTED_QUEUE crun;
    scribble(crun);
    EXPECT_EQ(NdisPartialClassifyNblChainBySourceHandleWithCount(&chain, &crun), nullptr);
    EXPECT_TRUE(counted_is(crun, {}));
    scribble(run);
    EXPECT_EQ(NdisPartialClassifyNblChainByValue(&chain, &run, flags_value), 0u);
    EXPECT_TRUE(queue_is(run, {}));
    scribble(crun);
    EXPECT_EQ(NdisPartialClassifyNblChainByValueWithCount(&chain, &crun, flags_value), 0u);
    EXPECT_TRUE(counted_is(crun, {}));
}

TEST_F(NblClassify, PartialSingleRunTakesEverything)
{
    set_sources(all, {B, B, B, B, B, B});
    PNET_BUFFER_LIST chain = make_chain(all);
    NBL_COUNTED_QUEUE run;
    EXPECT_EQ(NdisPartialClassifyNblChainBySourceHandleWithCount(&chain, &run), B);
    EXPECT_EQ(chain, nullptr);
    EXPECT_TRUE(counted_is(run, all));

    PNET_BUFFER_LIST one = make_chain({n[3]});
    NBL_QUEUE r1;
    EXPECT_EQ(NdisPartialClassifyNblChainBySourceHandle(&one, &r1), B);
    EXPECT_EQ(one, nullptr);
    EXPECT_TRUE(queue_is(r1, {n[3]}));
}

TEST_F(NblClassify, PartialRunPassesOnInConstantTime)
{
    // The run's Last is exact, so a run queue can be moved onto a per-originator queue.
    PNET_BUFFER_LIST chain = make_chain(all);
    NBL_QUEUE per_source_a, run;
    NdisInitializeNblQueue(&per_source_a);
    while (chain != nullptr) {
        NDIS_HANDLE source = NdisPartialClassifyNblChainBySourceHandle(&chain, &run);
        if (source == A)
            NdisAppendNblQueueToNblQueue(&per_source_a, &run);
    }
    EXPECT_TRUE(queue_is(per_source_a, {n[0], n[1], n[3]}));
}

namespace {
struct split_log {
    std::vector<run_record> runs;
    std::map<NDIS_HANDLE, NBL_QUEUE> per_source; // the callback takes ownership of each run
};

VOID log_source_run(PVOID context, NDIS_HANDLE source, PNET_BUFFER_LIST run, SIZE_T count)
{
    auto *log = static_cast<split_log *>(context);
    log->runs.push_back({source, to_vec(run), count});
    auto [it, inserted] = log->per_source.try_emplace(source);
    if (inserted)
        NdisInitializeNblQueue(&it->second);
    NdisAppendNblChainToNblQueue(&it->second, run); // relinks: the splitter must not care
}

VOID log_value_run(PVOID context, ULONG_PTR value, PNET_BUFFER_LIST run, SIZE_T count)
{
    log_source_run(context, handle(value), run, count);
}
} // namespace

TEST_F(NblClassify, SplitterBySourceHandle)
{
    split_log log;
    EXPECT_EQ(NdisClassifyNblChainBySourceHandle(make_chain(all), log_source_run, &log), 4u);
    EXPECT_EQ(log.runs, want);
    // Per-originator order survives (PS-14: every NBL exactly once, to its SourceHandle).
    EXPECT_TRUE(queue_is(log.per_source[A], {n[0], n[1], n[3]}));
    EXPECT_TRUE(queue_is(log.per_source[B], {n[2]}));
    EXPECT_TRUE(queue_is(log.per_source[C], {n[4], n[5]}));
}

TEST_F(NblClassify, SplitterByValue)
{
    split_log log;
    EXPECT_EQ(NdisClassifyNblChainByValue(make_chain(all), flags_value, log_value_run, &log), 4u);
    EXPECT_EQ(log.runs, want);
}

TEST_F(NblClassify, SplitterEdgeCases)
{
    split_log log;
    EXPECT_EQ(NdisClassifyNblChainBySourceHandle(nullptr, log_source_run, &log), 0u);
    EXPECT_EQ(NdisClassifyNblChainByValue(nullptr, flags_value, log_value_run, &log), 0u);
    EXPECT_TRUE(log.runs.empty());

    set_sources(all, {C, C, C, C, C, C}); // a single run
    EXPECT_EQ(NdisClassifyNblChainBySourceHandle(make_chain(all), log_source_run, &log), 1u);
    ASSERT_EQ(log.runs.size(), 1u);
    EXPECT_EQ(log.runs[0], (run_record{C, all, 6}));

    log = {};
    set_sources(all, {A, B, C, A, B, C}); // every run is one NBL
    EXPECT_EQ(NdisClassifyNblChainBySourceHandle(make_chain(all), log_source_run, &log), 6u);
    for (std::size_t i = 0; i < 6; ++i)
        EXPECT_EQ(log.runs[i], (run_record{all[i]->SourceHandle, {all[i]}, 1}));

    log = {};
    set_sources(all, {nullptr, nullptr, A, A, nullptr, nullptr}); // NULL is a handle like any
    EXPECT_EQ(NdisClassifyNblChainBySourceHandle(make_chain(all), log_source_run, &log), 3u);
    EXPECT_EQ(log.runs[0], (run_record{nullptr, {n[0], n[1]}, 2}));
}

// ================================ C++ wrapper ================================================

static_assert(!std::is_copy_constructible_v<ndis::nbl_queue>);
static_assert(!std::is_copy_assignable_v<ndis::nbl_queue>);
static_assert(std::is_nothrow_move_constructible_v<ndis::nbl_queue>);
static_assert(std::is_nothrow_move_assignable_v<ndis::nbl_queue>);
static_assert(!std::is_copy_constructible_v<ndis::nbl_counted_queue>);
static_assert(std::is_nothrow_move_constructible_v<ndis::nbl_counted_queue>);
static_assert(sizeof(ndis::nbl_queue) == sizeof(NBL_QUEUE));
static_assert(sizeof(ndis::nbl_counted_queue) == sizeof(NBL_COUNTED_QUEUE));
static_assert(std::is_standard_layout_v<ndis::nbl_queue>);
static_assert(std::input_iterator<ndis::nbl_chain_iterator>);
static_assert(std::ranges::input_range<ndis::nbl_chain_range>);
static_assert(std::ranges::input_range<ndis::nbl_queue>);
static_assert(std::ranges::input_range<ndis::nbl_counted_queue>);

TEST(NblQueueCxx, Basics)
{
    nbl_set n(7);
    ndis::nbl_queue q;
    EXPECT_TRUE(queue_is(q, {}));
    EXPECT_EQ(q.front(), nullptr);
    EXPECT_EQ(q.pop_front(), nullptr);

    make_chain({n[0], n[6]});
    q.push_back(n[0]);
    EXPECT_EQ(n[0]->Next, nullptr);
    q.append(nullptr);
    q.append(make_chain({n[1], n[2]}));
    q.append(make_chain({n[3], n[4]}), n[4]);
    EXPECT_TRUE(queue_is(q, {n[0], n[1], n[2], n[3], n[4]}));
    EXPECT_EQ(q.front(), n[0]);
    EXPECT_EQ(q.chain(), n[0]);
    EXPECT_TRUE(queue_is(q, {n[0], n[1], n[2], n[3], n[4]}));

    EXPECT_EQ(q.pop_front(), n[0]);
    EXPECT_EQ(n[0]->Next, nullptr);
    EXPECT_TRUE(queue_is(q, {n[1], n[2], n[3], n[4]}));

    EXPECT_EQ(to_vec(q.take_chain()), (nbl_vec{n[1], n[2], n[3], n[4]}));
    EXPECT_TRUE(queue_is(q, {}));
    q.push_back(n[5]);
    EXPECT_EQ(to_vec(q.release()), (nbl_vec{n[5]}));
    EXPECT_TRUE(queue_is(q, {}));

    // native() interoperates with the C API.
    NdisAppendSingleNblToNblQueue(q.native(), n[6]);
    EXPECT_TRUE(queue_is(q, {n[6]}));
    EXPECT_EQ(NdisPopFirstNblFromNblQueue(q.native()), n[6]);
    EXPECT_TRUE(queue_is(q, {}));

    ndis::nbl_queue from_chain(make_chain({n[1], n[2]}));
    EXPECT_TRUE(queue_is(from_chain, {n[1], n[2]}));
    ndis::nbl_queue from_null(nullptr);
    EXPECT_TRUE(queue_is(from_null, {}));
}

TEST(NblQueueCxx, MoveFixesTheSelfPointer)
{
    nbl_set n(6);
    ndis::nbl_queue empty_src;
    ndis::nbl_queue a(std::move(empty_src)); // moving an empty queue: Last must point into a
    EXPECT_TRUE(queue_is(a, {}));
    EXPECT_TRUE(queue_is(empty_src, {}));
    a.push_back(n[0]);
    EXPECT_TRUE(queue_is(a, {n[0]}));
    EXPECT_TRUE(queue_is(empty_src, {}));

    ndis::nbl_queue b(std::move(a));
    EXPECT_TRUE(queue_is(b, {n[0]}));
    EXPECT_TRUE(queue_is(a, {}));
    a.push_back(n[1]); // the moved-from queue is empty and usable
    b.push_back(n[2]);
    EXPECT_TRUE(queue_is(a, {n[1]}));
    EXPECT_TRUE(queue_is(b, {n[0], n[2]}));

    ndis::nbl_queue c;
    c = std::move(b);
    EXPECT_TRUE(queue_is(c, {n[0], n[2]}));
    EXPECT_TRUE(queue_is(b, {}));
    ndis::nbl_queue &alias = c;
    c = std::move(alias); // self-move keeps the NBLs
    EXPECT_TRUE(queue_is(c, {n[0], n[2]}));
    c = ndis::nbl_queue(); // move-assign an empty queue: c is empty with Last == &First
    EXPECT_TRUE(queue_is(c, {}));
    c.push_back(n[3]);
    EXPECT_TRUE(queue_is(c, {n[3]}));

    c.append(std::move(a)); // queue → queue, O(1)
    EXPECT_TRUE(queue_is(c, {n[3], n[1]}));
    EXPECT_TRUE(queue_is(a, {}));
    c.append(ndis::nbl_queue()); // empty → full
    EXPECT_TRUE(queue_is(c, {n[3], n[1]}));
    a.append(std::move(c)); // full → empty
    EXPECT_TRUE(queue_is(a, {n[3], n[1]}));
    EXPECT_TRUE(queue_is(c, {}));
    a.append(std::move(a)); // self: no-op
    EXPECT_TRUE(queue_is(a, {n[3], n[1]}));
}

TEST(NblQueueCxx, CountedQueue)
{
    nbl_set n(8);
    ndis::nbl_counted_queue q;
    EXPECT_TRUE(queue_is(q, {}));
    EXPECT_EQ(q.size(), 0u);
    EXPECT_EQ(q.pop_front(), nullptr);

    q.push_back(n[0]);
    q.append(nullptr);
    q.append(make_chain({n[1], n[2]}));
    q.append(make_chain({n[3], n[4]}), n[4], 2);
    EXPECT_TRUE(queue_is(q, {n[0], n[1], n[2], n[3], n[4]}));
    EXPECT_EQ(q.size(), 5u);
    EXPECT_EQ(q.front(), n[0]);
    EXPECT_EQ(q.chain(), n[0]);

    EXPECT_EQ(q.pop_front(), n[0]);
    EXPECT_TRUE(queue_is(q, {n[1], n[2], n[3], n[4]}));

    ndis::nbl_counted_queue other(make_chain({n[5], n[6]}));
    EXPECT_TRUE(queue_is(other, {n[5], n[6]}));
    q.append(std::move(other));
    EXPECT_TRUE(queue_is(q, {n[1], n[2], n[3], n[4], n[5], n[6]}));
    EXPECT_TRUE(queue_is(other, {}));

    ndis::nbl_counted_queue moved(std::move(q));
    EXPECT_TRUE(queue_is(moved, {n[1], n[2], n[3], n[4], n[5], n[6]}));
    EXPECT_TRUE(queue_is(q, {}));
    q = std::move(moved);
    EXPECT_TRUE(queue_is(q, {n[1], n[2], n[3], n[4], n[5], n[6]}));
    EXPECT_TRUE(queue_is(moved, {}));
    moved.push_back(n[7]);
    EXPECT_TRUE(queue_is(moved, {n[7]}));
    ndis::nbl_counted_queue &alias = q;
    q = std::move(alias);
    EXPECT_EQ(q.size(), 6u);

    EXPECT_EQ(to_vec(q.take_chain()), (nbl_vec{n[1], n[2], n[3], n[4], n[5], n[6]}));
    EXPECT_TRUE(queue_is(q, {}));
    EXPECT_EQ(to_vec(moved.release()), (nbl_vec{n[7]}));
    EXPECT_TRUE(queue_is(moved, {}));

    NdisAppendSingleNblToNblCountedQueue(q.native(), n[0]);
    EXPECT_TRUE(queue_is(q, {n[0]}));
    EXPECT_EQ(q.size(), 1u);
}

TEST(NblQueueCxx, Iteration)
{
    nbl_set n(4);
    nbl_vec seen;
    for (PNET_BUFFER_LIST nbl : ndis::nbl_chain_range(nullptr))
        seen.push_back(nbl);
    EXPECT_TRUE(seen.empty());
    EXPECT_TRUE(ndis::nbl_chain_range(nullptr).empty());

    PNET_BUFFER_LIST chain = make_chain({n[0], n[1], n[2], n[3]});
    for (PNET_BUFFER_LIST nbl : ndis::nbl_chain_range(chain))
        seen.push_back(nbl);
    EXPECT_EQ(seen, (nbl_vec{n[0], n[1], n[2], n[3]}));

    ndis::nbl_queue q(chain);
    seen.clear();
    for (PNET_BUFFER_LIST nbl : q)
        seen.push_back(nbl);
    EXPECT_EQ(seen, (nbl_vec{n[0], n[1], n[2], n[3]}));
    EXPECT_TRUE(queue_is(q, {n[0], n[1], n[2], n[3]})); // iterating removes nothing

    ndis::nbl_counted_queue cq(q.take_chain());
    EXPECT_EQ(std::distance(cq.begin(), cq.end()), 4);
    EXPECT_EQ(std::ranges::count_if(cq, [&](PNET_BUFFER_LIST x) { return x == n[2]; }), 1);

    // Removal-safe: the body may relink the current NBL (here: move it to another queue).
    ndis::nbl_queue odd, even;
    int i = 0;
    for (PNET_BUFFER_LIST nbl : ndis::nbl_chain_range(cq.take_chain()))
        (i++ % 2 ? odd : even).push_back(nbl);
    EXPECT_TRUE(queue_is(even, {n[0], n[2]}));
    EXPECT_TRUE(queue_is(odd, {n[1], n[3]}));

    auto it = ndis::nbl_chain_iterator(even.chain());
    auto old = it++;
    EXPECT_EQ(*old, n[0]);
    EXPECT_EQ(*it, n[2]);
    EXPECT_EQ(++it, ndis::nbl_chain_iterator());
}

TEST_F(NblClassify, CxxForEachRunBySourceHandleCallableShapes)
{
    // (handle, chain, count)
    std::vector<run_record> got;
    auto n_runs = ndis::for_each_run_by_source_handle(
        make_chain(all), [&](NDIS_HANDLE source, PNET_BUFFER_LIST run, std::size_t count) {
            got.push_back({source, to_vec(run), count});
        });
    EXPECT_EQ(n_runs, 4u);
    EXPECT_EQ(got, want);

    // (handle, chain)
    got.clear();
    ndis::for_each_run_by_source_handle(make_chain(all), [&](NDIS_HANDLE s, PNET_BUFFER_LIST r) {
        got.push_back({s, to_vec(r), NdisCountNblChain(r)});
    });
    EXPECT_EQ(got, want);

    // (handle, nbl_counted_queue&&): O(1) hand-off into per-originator queues (MS-11).
    std::map<NDIS_HANDLE, ndis::nbl_counted_queue> per_source;
    got.clear();
    ndis::for_each_run_by_source_handle(
        make_chain(all), [&](NDIS_HANDLE s, ndis::nbl_counted_queue &&run) {
            EXPECT_TRUE(queue_is(run, to_vec(run.chain())));
            got.push_back({s, to_vec(run.chain()), run.size()});
            per_source[s].append(std::move(run));
        });
    EXPECT_EQ(got, want);
    EXPECT_TRUE(queue_is(per_source[A], {n[0], n[1], n[3]}));
    EXPECT_TRUE(queue_is(per_source[B], {n[2]}));
    EXPECT_TRUE(queue_is(per_source[C], {n[4], n[5]}));

    // A mutable function object passed as an lvalue, and a NULL chain.
    struct counter {
        int calls = 0;
        void operator()(NDIS_HANDLE, PNET_BUFFER_LIST) { ++calls; }
    } f;
    EXPECT_EQ(ndis::for_each_run_by_source_handle(nullptr, f), 0u);
    EXPECT_EQ(ndis::for_each_run_by_source_handle(make_chain(all), f), 4u);
    EXPECT_EQ(f.calls, 4);
}

TEST_F(NblClassify, CxxForEachRunWithAnyKey)
{
    // Key by "is A": A A | B | A | C C → runs A A, B, A, C C (B and C both "not A" but
    // separated by an A).
    std::vector<std::pair<bool, std::size_t>> got;
    auto runs = ndis::for_each_run(
        make_chain(all), [](PNET_BUFFER_LIST nbl) { return nbl->SourceHandle == A; },
        [&](bool is_a, PNET_BUFFER_LIST, std::size_t count) { got.emplace_back(is_a, count); });
    EXPECT_EQ(runs, 4u);
    EXPECT_EQ(got, (std::vector<std::pair<bool, std::size_t>>{
                       {true, 2}, {false, 1}, {true, 1}, {false, 2}}));

    set_sources(all, {A, A, B, C, A, A}); // B and C adjacent: "not A" run of 2
    got.clear();
    ndis::for_each_run(
        make_chain(all), [](PNET_BUFFER_LIST nbl) { return nbl->SourceHandle == A; },
        [&](bool is_a, PNET_BUFFER_LIST, std::size_t count) { got.emplace_back(is_a, count); });
    EXPECT_EQ(got, (std::vector<std::pair<bool, std::size_t>>{{true, 2}, {false, 2}, {true, 2}}));
}

TEST_F(NblClassify, CxxTakeLeadingRun)
{
    PNET_BUFFER_LIST chain = make_chain(all);
    std::vector<run_record> got;
    while (chain != nullptr) {
        ndis::nbl_counted_queue run = ndis::take_leading_run_by_source_handle(chain);
        EXPECT_TRUE(queue_is(run, to_vec(run.chain())));
        got.push_back({run.front()->SourceHandle, to_vec(run.chain()), run.size()});
    }
    EXPECT_EQ(got, want);

    auto none = ndis::take_leading_run_by_source_handle(chain);
    EXPECT_TRUE(queue_is(none, {}));

    chain = make_chain(all);
    auto by_flags = ndis::take_leading_run(chain, flags_value);
    EXPECT_TRUE(queue_is(by_flags, {n[0], n[1]}));
    EXPECT_EQ(chain, n[2]);
}

// ================================ C translation unit =========================================

TEST(NblQueueC, SelfTestCompiledAsC11)
{
    EXPECT_EQ(nblqueue_c_selftest(), 0) << "nonzero = line of the failed check in nblqueue_c_api.c";
}

// ================================ Randomized model check =====================================
//
// 8 queues — 2 of each kind: NBL_QUEUE, NBL_COUNTED_QUEUE, ndis::nbl_queue,
// ndis::nbl_counted_queue — driven by 10^5 random operations and compared, with their Last
// pointers and counts, against std::deque models after every operation.

namespace {

class model_check {
public:
    static constexpr std::size_t kNbls = 256;
    static constexpr std::size_t kSlots = 8;

    explicit model_check(std::uint32_t seed) : _rng(seed), _nbls(kNbls)
    {
        for (std::size_t i = 0; i < kNbls; ++i) {
            _free.push_back(_nbls[i]);
            _nbls[i]->SourceHandle = handle(1 + _rng() % 3);
        }
        NdisInitializeNblQueue(&_c[0]);
        NdisInitializeNblQueue(&_c[1]);
        NdisInitializeNblCountedQueue(&_cc[0]);
        NdisInitializeNblCountedQueue(&_cc[1]);
    }

    testing::AssertionResult step(int step_no)
    {
        const std::size_t s = _rng() % kSlots;
        const unsigned op = _rng() % 10;
        _last_op = "step " + std::to_string(step_no) + " op " + std::to_string(op) + " slot " +
                   std::to_string(s);
        switch (op) {
        case 0:
        case 1: { // push one; its Next holds garbage that must be cleared
            if (_free.empty())
                break;
            PNET_BUFFER_LIST nbl = take_free();
            nbl->Next = _nbls[_rng() % kNbls];
            push(s, nbl);
            _model[s].push_back(nbl);
            break;
        }
        case 2:
        case 3: { // append a chain of 0..8 (slow or fast)
            nbl_vec v = take_free_n(_rng() % 9);
            const bool fast = !v.empty() && (_rng() & 1);
            append_chain(s, make_chain(v), fast ? v.back() : nullptr, v.size());
            _model[s].insert(_model[s].end(), v.begin(), v.end());
            break;
        }
        case 4:
        case 5: { // pop first
            PNET_BUFFER_LIST nbl = pop(s);
            if (_model[s].empty()) {
                if (nbl != nullptr)
                    return testing::AssertionFailure() << _last_op << ": pop from empty";
            } else {
                if (nbl != _model[s].front() || nbl->Next != nullptr)
                    return testing::AssertionFailure() << _last_op << ": wrong pop";
                _model[s].pop_front();
                give_back(nbl);
            }
            break;
        }
        case 6: { // pop all, free half the time, else re-append the chain to a random slot
            PNET_BUFFER_LIST chain = take_all(s);
            nbl_vec v = to_vec(chain);
            if (v != nbl_vec(_model[s].begin(), _model[s].end()))
                return testing::AssertionFailure() << _last_op << ": wrong take-all";
            _model[s].clear();
            if (_rng() & 1) {
                for (PNET_BUFFER_LIST nbl : v)
                    give_back(nbl);
            } else {
                const std::size_t t = _rng() % kSlots;
                append_chain(t, chain, nullptr, v.size());
                _model[t].insert(_model[t].end(), v.begin(), v.end());
            }
            break;
        }
        case 7: { // queue → queue between the two slots of a kind (sometimes itself)
            const std::size_t t = (_rng() % 4 == 0) ? s : (s ^ 1);
            append_queue(s, t);
            if (t != s) {
                _model[s].insert(_model[s].end(), _model[t].begin(), _model[t].end());
                _model[t].clear();
            }
            break;
        }
        case 8: { // classify: split slot s into runs and deal the runs out to random slots
            auto want = model_runs(_model[s]);
            PNET_BUFFER_LIST chain = take_all(s);
            _model[s].clear();
            std::vector<run_record> got;
            classify(chain, got);
            if (got.size() != want.size())
                return testing::AssertionFailure() << _last_op << ": wrong number of runs";
            for (std::size_t i = 0; i < got.size(); ++i)
                if (!(got[i] == want[i]))
                    return testing::AssertionFailure() << _last_op << ": run " << i << " wrong";
            break;
        }
        case 9: { // C++ moves (constructor and assignment) must keep content and Last right
            if (s == 4 || s == 5) {
                ndis::nbl_queue tmp(std::move(_x[s - 4]));
                _x[s - 4] = std::move(tmp);
            } else if (s == 6 || s == 7) {
                ndis::nbl_counted_queue tmp(std::move(_xc[s - 6]));
                _xc[s - 6] = std::move(tmp);
            }
            break;
        }
        }
        return verify();
    }

    testing::AssertionResult drain_all()
    {
        for (std::size_t s = 0; s < kSlots; ++s) {
            for (PNET_BUFFER_LIST nbl : ndis::nbl_chain_range(take_all(s)))
                give_back(nbl);
            _model[s].clear();
        }
        if (_free.size() != kNbls)
            return testing::AssertionFailure() << "NBLs lost: " << kNbls - _free.size();
        return verify();
    }

    std::size_t max_seen() const { return _max_seen; }

private:
    // ---- the queue under test, by slot: 0,1 C queue; 2,3 C counted; 4,5 C++; 6,7 C++ counted
    void push(std::size_t s, PNET_BUFFER_LIST nbl)
    {
        switch (s / 2) {
        case 0: NdisAppendSingleNblToNblQueue(&_c[s % 2], nbl); break;
        case 1: NdisAppendSingleNblToNblCountedQueue(&_cc[s % 2], nbl); break;
        case 2: _x[s % 2].push_back(nbl); break;
        default: _xc[s % 2].push_back(nbl); break;
        }
    }
    // last == nullptr: the walking append; else the O(1) one with known last and count.
    void append_chain(std::size_t s, PNET_BUFFER_LIST chain, PNET_BUFFER_LIST last, std::size_t n)
    {
        switch (s / 2) {
        case 0:
            if (last)
                NdisAppendNblChainToNblQueueFast(&_c[s % 2], chain, last);
            else
                NdisAppendNblChainToNblQueue(&_c[s % 2], chain);
            break;
        case 1:
            if (last)
                NdisAppendNblChainToNblCountedQueueFast(&_cc[s % 2], chain, last, n);
            else
                NdisAppendNblChainToNblCountedQueue(&_cc[s % 2], chain);
            break;
        case 2:
            if (last)
                _x[s % 2].append(chain, last);
            else
                _x[s % 2].append(chain);
            break;
        default:
            if (last)
                _xc[s % 2].append(chain, last, n);
            else
                _xc[s % 2].append(chain);
            break;
        }
    }
    void append_queue(std::size_t dst, std::size_t src)
    {
        switch (dst / 2) {
        case 0: NdisAppendNblQueueToNblQueue(&_c[dst % 2], &_c[src % 2]); break;
        case 1: NdisAppendNblCountedQueueToNblCountedQueue(&_cc[dst % 2], &_cc[src % 2]); break;
        case 2: _x[dst % 2].append(std::move(_x[src % 2])); break;
        default: _xc[dst % 2].append(std::move(_xc[src % 2])); break;
        }
    }
    PNET_BUFFER_LIST pop(std::size_t s)
    {
        switch (s / 2) {
        case 0: return NdisPopFirstNblFromNblQueue(&_c[s % 2]);
        case 1: return NdisPopFirstNblFromNblCountedQueue(&_cc[s % 2]);
        case 2: return _x[s % 2].pop_front();
        default: return _xc[s % 2].pop_front();
        }
    }
    PNET_BUFFER_LIST take_all(std::size_t s)
    {
        switch (s / 2) {
        case 0: return NdisPopAllFromNblQueue(&_c[s % 2]);
        case 1: return NdisPopAllFromNblCountedQueue(&_cc[s % 2]);
        case 2: return _x[s % 2].take_chain();
        default: return _xc[s % 2].release();
        }
    }
    testing::AssertionResult check_slot(std::size_t s)
    {
        const nbl_vec want(_model[s].begin(), _model[s].end());
        _max_seen = std::max(_max_seen, want.size());
        switch (s / 2) {
        case 0: return queue_is(_c[s % 2], want);
        case 1: return counted_is(_cc[s % 2], want);
        case 2: return queue_is(_x[s % 2], want);
        default: return queue_is(_xc[s % 2], want);
        }
    }
    testing::AssertionResult verify()
    {
        std::size_t total = _free.size();
        for (std::size_t s = 0; s < kSlots; ++s) {
            auto r = check_slot(s);
            if (!r)
                return r << " (slot " << s << ", after " << _last_op << ")";
            total += _model[s].size();
        }
        if (total != kNbls)
            return testing::AssertionFailure() << _last_op << ": NBL accounting off";
        return testing::AssertionSuccess();
    }

    // ---- classification through a randomly chosen API; runs are dealt to random slots
    void classify(PNET_BUFFER_LIST chain, std::vector<run_record> &got)
    {
        auto deal = [&](NDIS_HANDLE source, PNET_BUFFER_LIST run, std::size_t count) {
            nbl_vec v = to_vec(run);
            got.push_back({source, v, count});
            const std::size_t t = _rng() % kSlots;
            append_chain(t, run, (_rng() & 1) ? v.back() : nullptr, count);
            _model[t].insert(_model[t].end(), v.begin(), v.end());
        };
        switch (_rng() % 6) {
        case 0:
            while (chain != nullptr) {
                NBL_QUEUE run;
                NDIS_HANDLE h = NdisPartialClassifyNblChainBySourceHandle(&chain, &run);
                const SIZE_T count = NdisCountNblChain(run.First);
                deal(h, NdisPopAllFromNblQueue(&run), count);
            }
            break;
        case 1:
            while (chain != nullptr) {
                NBL_COUNTED_QUEUE run;
                NDIS_HANDLE h = NdisPartialClassifyNblChainBySourceHandleWithCount(&chain, &run);
                const SIZE_T count = run.NblCount;
                deal(h, NdisPopAllFromNblCountedQueue(&run), count);
            }
            break;
        case 2:
            while (chain != nullptr) {
                NBL_COUNTED_QUEUE run;
                auto v = NdisPartialClassifyNblChainByValueWithCount(
                    &chain, &run, [](PNET_BUFFER_LIST nbl) {
                        return reinterpret_cast<ULONG_PTR>(nbl->SourceHandle);
                    });
                const SIZE_T count = run.NblCount;
                deal(handle(v), NdisPopAllFromNblCountedQueue(&run), count);
            }
            break;
        case 3: {
            struct ctx_t {
                decltype(deal) *d;
            } ctx{&deal};
            NdisClassifyNblChainBySourceHandle(
                chain,
                [](PVOID c, NDIS_HANDLE h, PNET_BUFFER_LIST run, SIZE_T count) {
                    (*static_cast<ctx_t *>(c)->d)(h, run, count);
                },
                &ctx);
            break;
        }
        case 4:
            ndis::for_each_run_by_source_handle(chain, deal);
            break;
        default:
            while (chain != nullptr) {
                auto run = ndis::take_leading_run_by_source_handle(chain);
                const std::size_t count = run.size();
                NDIS_HANDLE h = run.front()->SourceHandle;
                deal(h, run.take_chain(), count);
            }
            break;
        }
    }
    static std::vector<run_record> model_runs(const std::deque<PNET_BUFFER_LIST> &m)
    {
        std::vector<run_record> runs;
        for (PNET_BUFFER_LIST nbl : m) {
            if (runs.empty() || runs.back().source != nbl->SourceHandle)
                runs.push_back({nbl->SourceHandle, {}, 0});
            runs.back().nbls.push_back(nbl);
            runs.back().count += 1;
        }
        return runs;
    }

    PNET_BUFFER_LIST take_free()
    {
        const std::size_t i = _rng() % _free.size();
        std::swap(_free[i], _free.back());
        PNET_BUFFER_LIST nbl = _free.back();
        _free.pop_back();
        return nbl;
    }
    nbl_vec take_free_n(std::size_t n)
    {
        nbl_vec v;
        while (v.size() < n && !_free.empty())
            v.push_back(take_free());
        return v;
    }
    void give_back(PNET_BUFFER_LIST nbl)
    {
        nbl->Next = _nbls[_rng() % kNbls]; // garbage: queues must not rely on a freed NBL
        nbl->SourceHandle = handle(1 + _rng() % 3);
        _free.push_back(nbl);
    }

    std::mt19937 _rng;
    nbl_set _nbls;
    nbl_vec _free;
    NBL_QUEUE _c[2];
    NBL_COUNTED_QUEUE _cc[2];
    ndis::nbl_queue _x[2];
    ndis::nbl_counted_queue _xc[2];
    std::deque<PNET_BUFFER_LIST> _model[kSlots];
    std::string _last_op;
    std::size_t _max_seen = 0;
};

} // namespace

TEST(NblQueueModel, RandomOperationsMatchDequeModel)
{
    std::uint32_t seed = 20240611;
    if (const char *env = std::getenv("NBLQUEUE_SEED"))
        seed = static_cast<std::uint32_t>(std::strtoul(env, nullptr, 0));
    SCOPED_TRACE("seed " + std::to_string(seed) + " (set NBLQUEUE_SEED to replay)");

    model_check m(seed);
    for (int i = 0; i < 100'000; ++i)
        ASSERT_TRUE(m.step(i));
    ASSERT_TRUE(m.drain_all());
    EXPECT_GT(m.max_seen(), 32u); // the walk really exercised long queues
}
