/*
 * nblqueue_c_api.c — the C API of <ndis/nblqueue.h>, compiled as C11.
 *
 * Not a test executable of its own: test_nblqueue.cpp links it and calls nblqueue_c_selftest()
 * from a TEST. It proves the header is usable from C (static inline, no C++ features) and
 * checks each C entry point on empty / one / many NBLs, including the Last pointer after every
 * operation. Returns 0 on success, else the source line of the first failed check.
 */
#include <ndis/nblqueue.h>

#include <stdlib.h>

int nblqueue_c_selftest(void);

#define NBLS 8

#define CHECK(cond)                                                                           \
    do {                                                                                      \
        if (!(cond)) {                                                                        \
            failed_line = __LINE__;                                                           \
            goto done;                                                                        \
        }                                                                                     \
    } while (0)

/* Links nbls[from..to] (inclusive) into a NULL-terminated chain and returns its head. */
static PNET_BUFFER_LIST link_range(PNET_BUFFER_LIST *nbls, int from, int to)
{
    for (int i = from; i < to; ++i)
        nbls[i]->Next = nbls[i + 1];
    nbls[to]->Next = NULL;
    return nbls[from];
}

/* TRUE if chain is exactly nbls[idx[0]], nbls[idx[1]], ... (n entries) then NULL. */
static int chain_is(PNET_BUFFER_LIST chain, PNET_BUFFER_LIST *nbls, const int *idx, int n)
{
    for (int i = 0; i < n; ++i, chain = chain->Next)
        if (chain != nbls[idx[i]])
            return 0;
    return chain == NULL;
}

/* For the splitter: records (handle, count) per run and checks each run is terminated. */
typedef struct {
    int runs;
    NDIS_HANDLE handles[NBLS];
    SIZE_T counts[NBLS];
    int bad;
} run_log;

static VOID record_run(PVOID context, NDIS_HANDLE source, PNET_BUFFER_LIST run, SIZE_T count)
{
    run_log *log = (run_log *)context;
    if (NdisCountNblChain(run) != count)
        log->bad = 1;
    for (PNET_BUFFER_LIST nbl = run; nbl != NULL; nbl = nbl->Next)
        if (nbl->SourceHandle != source)
            log->bad = 1;
    log->handles[log->runs] = source;
    log->counts[log->runs] = count;
    log->runs += 1;
    run->Next = (PNET_BUFFER_LIST)(ULONG_PTR)0x1; /* the callback owns the run: scribble */
    if (count == 1)
        run->Next = NULL;
}

static VOID record_value_run(PVOID context, ULONG_PTR value, PNET_BUFFER_LIST run, SIZE_T count)
{
    record_run(context, (NDIS_HANDLE)value, run, count);
}

static ULONG_PTR flags_value(PNET_BUFFER_LIST nbl)
{
    return nbl->Flags;
}

int nblqueue_c_selftest(void)
{
    int failed_line = 0;
    PNET_BUFFER_LIST nbls[NBLS] = {0};
    NBL_QUEUE q, q2, run;
    NBL_COUNTED_QUEUE cq, cq2, crun;
    SIZE_T count = 0;

    for (int i = 0; i < NBLS; ++i) {
        nbls[i] = (PNET_BUFFER_LIST)calloc(1, sizeof(NET_BUFFER_LIST));
        CHECK(nbls[i] != NULL);
    }

    /* Chains (DS-01). */
    CHECK(NdisCountNblChain(NULL) == 0);
    CHECK(NdisNumNblsInNblChain(NULL) == 0);
    CHECK(NdisLastNblInNblChain(NULL) == NULL);
    CHECK(NdisLastNblInNblChainWithCount(NULL, &count) == NULL && count == 0);
    CHECK(NdisCountNblChain(link_range(nbls, 0, 0)) == 1);
    CHECK(NdisLastNblInNblChain(nbls[0]) == nbls[0]);
    CHECK(NdisCountNblChain(link_range(nbls, 0, 4)) == 5);
    CHECK(NdisNumNblsInNblChain(nbls[0]) == 5);
    CHECK(NdisLastNblInNblChain(nbls[0]) == nbls[4]);
    CHECK(NdisLastNblInNblChainWithCount(nbls[0], &count) == nbls[4] && count == 5);

    /* NBL_QUEUE: init, single appends, pop to empty, append after empty. */
    NdisInitializeNblQueue(&q);
    CHECK(NdisIsNblQueueEmpty(&q) && q.First == NULL && q.Last == &q.First);
    CHECK(NdisIsNblQueueValid(&q));
    CHECK(NdisPopFirstNblFromNblQueue(&q) == NULL);
    CHECK(NdisGetNblChainFromNblQueue(&q) == NULL);
    nbls[0]->Next = nbls[5]; /* must be cleared by the single append */
    NdisAppendSingleNblToNblQueue(&q, nbls[0]);
    CHECK(!NdisIsNblQueueEmpty(&q) && q.First == nbls[0] && q.Last == &nbls[0]->Next);
    CHECK(nbls[0]->Next == NULL);
    NdisAppendSingleNblToNblQueue(&q, nbls[1]);
    NdisAppendSingleNblToNblQueue(&q, nbls[2]);
    CHECK(NdisIsNblQueueValid(&q) && q.Last == &nbls[2]->Next);
    {
        static const int want[] = {0, 1, 2};
        CHECK(chain_is(NdisGetNblChainFromNblQueue(&q), nbls, want, 3));
        CHECK(NdisIsNblQueueValid(&q)); /* peek leaves it as is */
    }
    CHECK(NdisPopFirstNblFromNblQueue(&q) == nbls[0] && nbls[0]->Next == NULL);
    CHECK(NdisIsNblQueueValid(&q) && q.First == nbls[1]);
    CHECK(NdisPopFirstNblFromNblQueue(&q) == nbls[1]);
    CHECK(NdisPopFirstNblFromNblQueue(&q) == nbls[2]);
    CHECK(NdisIsNblQueueEmpty(&q) && q.Last == &q.First);
    NdisAppendSingleNblToNblQueue(&q, nbls[3]); /* append after pop-to-empty */
    CHECK(q.First == nbls[3] && q.Last == &nbls[3]->Next && NdisIsNblQueueValid(&q));
    CHECK(NdisPopAllFromNblQueue(&q) == nbls[3] && NdisIsNblQueueEmpty(&q));
    CHECK(q.Last == &q.First);

    /* Chain appends. */
    NdisAppendNblChainToNblQueue(&q, NULL);
    CHECK(NdisIsNblQueueEmpty(&q) && NdisIsNblQueueValid(&q));
    NdisAppendNblChainToNblQueue(&q, link_range(nbls, 0, 2));
    NdisAppendNblChainToNblQueueFast(&q, link_range(nbls, 3, 4), nbls[4]);
    CHECK(NdisIsNblQueueValid(&q) && q.Last == &nbls[4]->Next);
    {
        static const int want[] = {0, 1, 2, 3, 4};
        CHECK(chain_is(NdisPopAllFromNblQueue(&q), nbls, want, 5));
    }

    /* Queue to queue: empty→empty, full→empty, empty→full, full→full, self. */
    NdisInitializeNblQueue(&q);
    NdisInitializeNblQueue(&q2);
    NdisAppendNblQueueToNblQueue(&q, &q2);
    CHECK(NdisIsNblQueueEmpty(&q) && q.Last == &q.First && q2.Last == &q2.First);
    NdisAppendNblChainToNblQueue(&q2, link_range(nbls, 0, 1));
    NdisAppendNblQueueToNblQueue(&q, &q2);
    CHECK(q.First == nbls[0] && q.Last == &nbls[1]->Next && NdisIsNblQueueValid(&q));
    CHECK(NdisIsNblQueueEmpty(&q2) && q2.Last == &q2.First);
    NdisAppendNblQueueToNblQueue(&q, &q2);
    CHECK(q.Last == &nbls[1]->Next && NdisIsNblQueueValid(&q));
    NdisAppendNblChainToNblQueue(&q2, link_range(nbls, 2, 3));
    NdisAppendNblQueueToNblQueueFast(&q, &q2);
    NdisAppendNblQueueToNblQueue(&q, &q);
    CHECK(NdisIsNblQueueValid(&q) && q.Last == &nbls[3]->Next && NdisIsNblQueueEmpty(&q2));
    {
        static const int want[] = {0, 1, 2, 3};
        CHECK(chain_is(NdisPopAllFromNblQueue(&q), nbls, want, 4));
    }

    /* Validation catches a stale Last. */
    NdisAppendNblChainToNblQueue(&q, link_range(nbls, 0, 2));
    q.Last = &nbls[1]->Next;
    CHECK(!NdisIsNblQueueValid(&q));
    NdisInitializeNblQueue(&q);

    /* NBL_COUNTED_QUEUE. */
    NdisInitializeNblCountedQueue(&cq);
    CHECK(NdisIsNblCountedQueueEmpty(&cq) && NdisGetNblCountedQueueCount(&cq) == 0);
    CHECK(cq.Queue.Last == &cq.Queue.First && NdisIsNblCountedQueueValid(&cq));
    CHECK(NdisPopFirstNblFromNblCountedQueue(&cq) == NULL && cq.NblCount == 0);
    NdisAppendSingleNblToNblCountedQueue(&cq, nbls[0]);
    NdisAppendNblChainToNblCountedQueue(&cq, NULL);
    NdisAppendNblChainToNblCountedQueue(&cq, link_range(nbls, 1, 3));
    NdisAppendNblChainToNblCountedQueueFast(&cq, link_range(nbls, 4, 5), nbls[5], 2);
    CHECK(NdisGetNblCountedQueueCount(&cq) == 6 && NdisIsNblCountedQueueValid(&cq));
    CHECK(cq.Queue.Last == &nbls[5]->Next);
    CHECK(NdisGetNblChainFromNblCountedQueue(&cq) == nbls[0] && cq.NblCount == 6);
    CHECK(NdisPopFirstNblFromNblCountedQueue(&cq) == nbls[0] && cq.NblCount == 5);
    NdisInitializeNblCountedQueue(&cq2);
    NdisAppendNblCountedQueueToNblCountedQueue(&cq2, &cq);
    CHECK(cq2.NblCount == 5 && cq.NblCount == 0 && NdisIsNblCountedQueueEmpty(&cq));
    CHECK(cq.Queue.Last == &cq.Queue.First && NdisIsNblCountedQueueValid(&cq2));
    NdisAppendSingleNblToNblCountedQueue(&cq, nbls[0]);
    NdisAppendNblCountedQueueToNblCountedQueueFast(&cq, &cq2);
    NdisAppendNblCountedQueueToNblCountedQueue(&cq, &cq);
    CHECK(cq.NblCount == 6 && NdisIsNblCountedQueueValid(&cq) && cq2.NblCount == 0);
    cq.NblCount = 7;
    CHECK(!NdisIsNblCountedQueueValid(&cq));
    cq.NblCount = 6;
    {
        static const int want[] = {0, 1, 2, 3, 4, 5};
        CHECK(chain_is(NdisPopAllFromNblCountedQueue(&cq), nbls, want, 6));
        CHECK(cq.NblCount == 0 && cq.Queue.Last == &cq.Queue.First);
    }

    /* Classification: A A B A C C → A2 B1 A1 C2 (consecutive runs, MS-07/MS-11/PS-13). */
    {
        NDIS_HANDLE A = (NDIS_HANDLE)(ULONG_PTR)0xA0, B = (NDIS_HANDLE)(ULONG_PTR)0xB0,
                    C = (NDIS_HANDLE)(ULONG_PTR)0xC0;
        NDIS_HANDLE handles[6];
        PNET_BUFFER_LIST chain;
        run_log log = {0};
        handles[0] = A; handles[1] = A; handles[2] = B;
        handles[3] = A; handles[4] = C; handles[5] = C;
        for (int i = 0; i < 6; ++i) {
            nbls[i]->SourceHandle = handles[i];
            nbls[i]->Flags = (ULONG)(ULONG_PTR)handles[i];
        }

        chain = link_range(nbls, 0, 5);
        CHECK(NdisPartialClassifyNblChainBySourceHandle(&chain, &run) == A);
        CHECK(chain == nbls[2] && run.First == nbls[0] && run.Last == &nbls[1]->Next);
        CHECK(nbls[1]->Next == NULL && NdisIsNblQueueValid(&run));
        CHECK(NdisPartialClassifyNblChainBySourceHandleWithCount(&chain, &crun) == B);
        CHECK(crun.NblCount == 1 && crun.Queue.First == nbls[2] && chain == nbls[3]);
        CHECK(NdisIsNblCountedQueueValid(&crun));
        CHECK(NdisPartialClassifyNblChainByValue(&chain, &run, flags_value) == 0xA0);
        CHECK(run.First == nbls[3] && NdisIsNblQueueValid(&run) && chain == nbls[4]);
        CHECK(NdisPartialClassifyNblChainByValueWithCount(&chain, &crun, flags_value) == 0xC0);
        CHECK(crun.NblCount == 2 && crun.Queue.Last == &nbls[5]->Next && chain == NULL);
        CHECK(NdisPartialClassifyNblChainBySourceHandle(&chain, &run) == NULL);
        CHECK(NdisIsNblQueueEmpty(&run) && run.Last == &run.First && chain == NULL);
        CHECK(NdisPartialClassifyNblChainByValueWithCount(&chain, &crun, flags_value) == 0);
        CHECK(NdisIsNblCountedQueueEmpty(&crun) && crun.NblCount == 0);

        CHECK(NdisClassifyNblChainBySourceHandle(link_range(nbls, 0, 5), record_run, &log) == 4);
        CHECK(!log.bad && log.runs == 4);
        CHECK(log.handles[0] == A && log.counts[0] == 2 && log.handles[1] == B &&
              log.counts[1] == 1 && log.handles[2] == A && log.counts[2] == 1 &&
              log.handles[3] == C && log.counts[3] == 2);

        log.runs = 0;
        CHECK(NdisClassifyNblChainByValue(link_range(nbls, 0, 5), flags_value, record_value_run,
                                          &log) == 4);
        CHECK(!log.bad && log.counts[0] == 2 && log.counts[3] == 2);
        CHECK(log.handles[2] == (NDIS_HANDLE)(ULONG_PTR)0xA0);

        log.runs = 0;
        CHECK(NdisClassifyNblChainBySourceHandle(NULL, record_run, &log) == 0 && log.runs == 0);
        CHECK(NdisClassifyNblChainByValue(NULL, flags_value, record_value_run, &log) == 0);
        CHECK(NdisClassifyNblChainBySourceHandle(link_range(nbls, 0, 1), record_run, &log) == 1);
        CHECK(log.runs == 1 && log.handles[0] == A && log.counts[0] == 2);
    }

done:
    for (int i = 0; i < NBLS; ++i)
        free(nbls[i]);
    return failed_line;
}
