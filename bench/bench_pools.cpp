// bench_pools.cpp — cost of the pool fast paths (DESIGN.md "Hot path": per-thread magazines).
//
// What is timed: only the allocate/free calls. Pools are created before the timed loop and freed
// after it (in multi-threaded runs by thread 0, around the start/stop barriers).
//
//   BM_Nbl<kind, ctx, batch>   NdisAllocateNetBufferList + NdisFreeNetBufferList from a pool of
//                              kind bare / with_nb / with_data (DataSize 1514) whose ContextSize is
//                              ctx, asking ctx bytes of context (0 or 16: the preallocated block).
//                              batch 1: allocate one, free it; batch 32: allocate 32, free 32.
//                              Items = NBLs; run single-threaded and with 2 threads on one pool.
//   BM_NblCtxHeap              the same with ContextSize 16 from a pool with ContextSize 0: the
//                              context block then comes from tagged heap memory (slow path).
//   BM_Mdl<batch>              NdisAllocateMdl + NdisFreeMdl.
//   BM_Nb<batch>               NdisAllocateNetBuffer(pool, NULL, 0, 0) + NdisFreeNetBuffer.
//   BM_NbData<batch>           NdisAllocateNetBufferMdlAndData (DataSize 1514) + NdisFreeNetBuffer.
//
// Read items_per_second: ns per object = 1e9 / items_per_second (for 2 threads that is the
// aggregate rate; per thread, twice that).
//
// Run:  <build>/bench/bench_pools --benchmark_min_time=1   (CPU column = ns per object per thread)
#include <ndis.h>

#include <benchmark/benchmark.h>

#include <array>
#include <cstdint>

namespace {

constexpr ULONG kTag = 0x6E65424F; // "OBen"
constexpr ULONG kDataSize = 1514;

enum class kind { bare, with_nb, with_data };

NDIS_HANDLE make_nbl_pool(kind k, USHORT context_size)
{
    NET_BUFFER_LIST_POOL_PARAMETERS p{};
    p.Header.Type = NDIS_OBJECT_TYPE_DEFAULT;
    p.Header.Revision = NET_BUFFER_LIST_POOL_PARAMETERS_REVISION_1;
    p.Header.Size = NDIS_SIZEOF_NET_BUFFER_LIST_POOL_PARAMETERS_REVISION_1;
    p.fAllocateNetBuffer = k != kind::bare ? TRUE : FALSE;
    p.ContextSize = context_size;
    p.PoolTag = kTag;
    p.DataSize = k == kind::with_data ? kDataSize : 0;
    return NdisAllocateNetBufferListPool(nullptr, &p);
}

NDIS_HANDLE make_nb_pool(ULONG data_size)
{
    NET_BUFFER_POOL_PARAMETERS p{};
    p.Header.Type = NDIS_OBJECT_TYPE_DEFAULT;
    p.Header.Revision = NET_BUFFER_POOL_PARAMETERS_REVISION_1;
    p.Header.Size = NDIS_SIZEOF_NET_BUFFER_POOL_PARAMETERS_REVISION_1;
    p.PoolTag = kTag;
    p.DataSize = data_size;
    return NdisAllocateNetBufferPool(nullptr, &p);
}

// The pool every thread of one run uses: made by thread 0 before the start barrier of the timed
// loop, freed by thread 0 after its stop barrier (GoogleBenchmark synchronises threads there).
NDIS_HANDLE g_pool = nullptr;

void fail(benchmark::State &state, const char *what)
{
    state.SkipWithError(what);
}

// ---- NBLs -------------------------------------------------------------------------------------

template <kind K, USHORT Ctx, int Batch> void BM_Nbl(benchmark::State &state)
{
    if (state.thread_index() == 0) {
        g_pool = make_nbl_pool(K, Ctx);
    }
    std::array<PNET_BUFFER_LIST, Batch> nbls{};
    for (auto _ : state) {
        NDIS_HANDLE pool = g_pool;
        for (int i = 0; i < Batch; ++i) {
            nbls[i] = NdisAllocateNetBufferList(pool, Ctx, 0);
        }
        benchmark::DoNotOptimize(nbls.data());
        if (nbls[0] == nullptr || nbls[Batch - 1] == nullptr) {
            fail(state, "NdisAllocateNetBufferList returned NULL");
            break;
        }
        for (int i = 0; i < Batch; ++i) {
            NdisFreeNetBufferList(nbls[i]);
        }
    }
    state.SetItemsProcessed(state.iterations() * Batch);
    if (state.thread_index() == 0) {
        NdisFreeNetBufferListPool(g_pool);
        g_pool = nullptr;
    }
}

// Context asked beyond the pool's ContextSize: a tagged heap block per NBL.
void BM_NblCtxHeap(benchmark::State &state)
{
    if (state.thread_index() == 0) {
        g_pool = make_nbl_pool(kind::bare, 0);
    }
    for (auto _ : state) {
        PNET_BUFFER_LIST nbl = NdisAllocateNetBufferList(g_pool, 16, 0);
        benchmark::DoNotOptimize(nbl);
        if (nbl == nullptr) {
            fail(state, "NdisAllocateNetBufferList returned NULL");
            break;
        }
        NdisFreeNetBufferList(nbl);
    }
    state.SetItemsProcessed(state.iterations());
    if (state.thread_index() == 0) {
        NdisFreeNetBufferListPool(g_pool);
        g_pool = nullptr;
    }
}

#define NBL_BENCH(K, CTX, BATCH)                                                                   \
    BENCHMARK_TEMPLATE(BM_Nbl, kind::K, CTX, BATCH)                                                \
        ->Name("BM_Nbl/" #K "/ctx:" #CTX "/batch:" #BATCH)                                          \
        ->Threads(1)                                                                               \
        ->Threads(2)                                                                               \
        ->UseRealTime()

NBL_BENCH(bare, 0, 1);
NBL_BENCH(bare, 0, 32);
NBL_BENCH(bare, 16, 1);
NBL_BENCH(bare, 16, 32);
NBL_BENCH(with_nb, 0, 1);
NBL_BENCH(with_nb, 0, 32);
NBL_BENCH(with_nb, 16, 1);
NBL_BENCH(with_nb, 16, 32);
NBL_BENCH(with_data, 0, 1);
NBL_BENCH(with_data, 0, 32);
NBL_BENCH(with_data, 16, 1);
NBL_BENCH(with_data, 16, 32);
BENCHMARK(BM_NblCtxHeap)->Threads(1)->Threads(2)->UseRealTime();

// ---- MDLs -------------------------------------------------------------------------------------

template <int Batch> void BM_Mdl(benchmark::State &state)
{
    alignas(64) static unsigned char buffer[2048];
    std::array<PMDL, Batch> mdls{};
    for (auto _ : state) {
        for (int i = 0; i < Batch; ++i) {
            mdls[i] = NdisAllocateMdl(nullptr, buffer, sizeof(buffer));
        }
        benchmark::DoNotOptimize(mdls.data());
        if (mdls[0] == nullptr || mdls[Batch - 1] == nullptr) {
            fail(state, "NdisAllocateMdl returned NULL");
            break;
        }
        for (int i = 0; i < Batch; ++i) {
            NdisFreeMdl(mdls[i]);
        }
    }
    state.SetItemsProcessed(state.iterations() * Batch);
}
BENCHMARK_TEMPLATE(BM_Mdl, 1)->Name("BM_Mdl/batch:1")->Threads(1)->Threads(2)->UseRealTime();
BENCHMARK_TEMPLATE(BM_Mdl, 32)->Name("BM_Mdl/batch:32")->Threads(1)->Threads(2)->UseRealTime();

// ---- NBs --------------------------------------------------------------------------------------

template <ULONG DataSize, int Batch> void BM_Nb(benchmark::State &state)
{
    if (state.thread_index() == 0) {
        g_pool = make_nb_pool(DataSize);
    }
    std::array<PNET_BUFFER, Batch> nbs{};
    for (auto _ : state) {
        NDIS_HANDLE pool = g_pool;
        for (int i = 0; i < Batch; ++i) {
            nbs[i] = DataSize != 0 ? NdisAllocateNetBufferMdlAndData(pool)
                                   : NdisAllocateNetBuffer(pool, nullptr, 0, 0);
        }
        benchmark::DoNotOptimize(nbs.data());
        if (nbs[0] == nullptr || nbs[Batch - 1] == nullptr) {
            fail(state, "NB allocation returned NULL");
            break;
        }
        for (int i = 0; i < Batch; ++i) {
            NdisFreeNetBuffer(nbs[i]);
        }
    }
    state.SetItemsProcessed(state.iterations() * Batch);
    if (state.thread_index() == 0) {
        NdisFreeNetBufferPool(g_pool);
        g_pool = nullptr;
    }
}
BENCHMARK_TEMPLATE(BM_Nb, 0, 1)->Name("BM_Nb/batch:1")->Threads(1)->Threads(2)->UseRealTime();
BENCHMARK_TEMPLATE(BM_Nb, 0, 32)->Name("BM_Nb/batch:32")->Threads(1)->Threads(2)->UseRealTime();
BENCHMARK_TEMPLATE(BM_Nb, kDataSize, 1)
    ->Name("BM_NbData/batch:1")
    ->Threads(1)
    ->Threads(2)
    ->UseRealTime();
BENCHMARK_TEMPLATE(BM_Nb, kDataSize, 32)
    ->Name("BM_NbData/batch:32")
    ->Threads(1)
    ->Threads(2)
    ->UseRealTime();

} // namespace
