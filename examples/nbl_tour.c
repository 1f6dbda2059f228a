/*
 * nbl_tour.c — a guided tour of the NDIS 6 data model on OpenNDIS, in plain C.
 *
 * What a protocol or miniport driver does with NET_BUFFER_LISTs before any of them is sent:
 * allocate pools, describe a frame with an MDL chain, prepend a header by retreating the data
 * start, read headers with NdisGetDataBuffer, clone without copying, fragment and reassemble,
 * keep per-driver context, queue NBLs, and give everything back. It is compiled against
 * <ndis.h> only and linked with -lopenndis, exactly as an out-of-tree driver would be.
 *
 * Run: build/default/examples/nbl_tour   (exit status 0 when every check held)
 */
#include <ndis.h>
#include <openndis/runtime.h>

#include <stdio.h>
#include <string.h>

static int g_failures;

#define CHECK(cond)                                                                    \
    do {                                                                               \
        if (!(cond)) {                                                                 \
            fprintf(stderr, "nbl_tour: check failed at line %d: %s\n", __LINE__, #cond); \
            ++g_failures;                                                              \
        }                                                                              \
    } while (0)

static void print_nb(const char *what, PNET_BUFFER nb)
{
    ULONG mdls = 0;
    for (PMDL m = NET_BUFFER_FIRST_MDL(nb); m != NULL; m = NDIS_MDL_LINKAGE(m)) {
        ++mdls;
    }
    printf("  %-34s DataOffset %4u  DataLength %5u  MDLs %u  CurrentMdlOffset %u\n", what,
           NET_BUFFER_DATA_OFFSET(nb), NET_BUFFER_DATA_LENGTH(nb), mdls,
           NET_BUFFER_CURRENT_MDL_OFFSET(nb));
}

/* Copies an NB's used bytes out (NdisGetDataBuffer with storage handles any MDL shape). */
static const UCHAR *nb_bytes(PNET_BUFFER nb, UCHAR *storage)
{
    return (const UCHAR *)NdisGetDataBuffer(nb, NET_BUFFER_DATA_LENGTH(nb), storage, 1, 0);
}

int main(void)
{
    static UCHAR payload[3][200];
    static UCHAR scratch[2048], scratch2[2048];
    const UCHAR ethernet[14] = {0x02, 0, 0, 0, 0, 0x02, 0x02, 0, 0, 0, 0, 0x01, 0x08, 0x00};

    printf("OpenNDIS NBL tour\n\n1. Pools (POOL-04)\n");
    NET_BUFFER_LIST_POOL_PARAMETERS nblp;
    memset(&nblp, 0, sizeof nblp);
    nblp.Header.Type = NDIS_OBJECT_TYPE_DEFAULT;
    nblp.Header.Revision = NET_BUFFER_LIST_POOL_PARAMETERS_REVISION_1;
    nblp.Header.Size = NDIS_SIZEOF_NET_BUFFER_LIST_POOL_PARAMETERS_REVISION_1;
    nblp.fAllocateNetBuffer = TRUE; /* kind (b): every NBL comes with one NB */
    nblp.ContextSize = 16;
    nblp.PoolTag = 'lbnT';
    NDIS_HANDLE nbl_pool = NdisAllocateNetBufferListPool(NULL, &nblp);
    CHECK(nbl_pool != NULL);
    printf("  NBL pool (one NB per NBL, 16 bytes of context per NBL): %p\n", nbl_pool);

    printf("\n2. A frame described by three MDLs (DS-02, DS-04)\n");
    PMDL chain = NULL, *tail = &chain;
    for (int i = 0; i < 3; ++i) {
        memset(payload[i], 'A' + i, sizeof payload[i]);
        *tail = NdisAllocateMdl(NULL, payload[i], sizeof payload[i]);
        CHECK(*tail != NULL);
        tail = &NDIS_MDL_LINKAGE(*tail);
    }
    PNET_BUFFER_LIST nbl = NdisAllocateNetBufferAndNetBufferList(nbl_pool, 16, 0, chain, 0, 600);
    CHECK(nbl != NULL);
    PNET_BUFFER nb = NET_BUFFER_LIST_FIRST_NB(nbl);
    print_nb("as allocated:", nb);

    printf("\n3. Prepend an Ethernet header: retreat then write (DS-32)\n");
    CHECK(NdisRetreatNetBufferDataStart(nb, sizeof ethernet, 32, NULL) == NDIS_STATUS_SUCCESS);
    print_nb("after retreat 14 (backfill 32):", nb);
    {
        /* The retreat gave us a new, contiguous MDL in front: write the header there. */
        UCHAR *hdr = (UCHAR *)NdisGetDataBuffer(nb, sizeof ethernet, NULL, 1, 0);
        CHECK(hdr != NULL);
        if (hdr != NULL) {
            memcpy(hdr, ethernet, sizeof ethernet);
        }
    }
    {
        const UCHAR *frame = nb_bytes(nb, scratch);
        CHECK(frame != NULL && memcmp(frame, ethernet, 14) == 0 && frame[14] == 'A' &&
              frame[14 + 200] == 'B' && frame[14 + 599] == 'C');
        printf("  frame: %u bytes, EtherType 0x%02x%02x, payload starts with '%c'\n",
               NET_BUFFER_DATA_LENGTH(nb), frame[12], frame[13], frame[14]);
    }

    printf("\n4. Read across MDL boundaries with NdisGetDataBuffer (DS-30)\n");
    {
        UCHAR window[8];
        /* Bytes 210..217 of the frame straddle the first and second payload MDLs. */
        NdisAdvanceNetBufferDataStart(nb, 210, FALSE, NULL);
        const UCHAR *w = (const UCHAR *)NdisGetDataBuffer(nb, sizeof window, window, 1, 0);
        CHECK(w == window && w[0] == 'A' && w[3] == 'A' && w[4] == 'B');
        printf("  8 bytes across the boundary: %.8s (copied into caller storage)\n", w);
        CHECK(NdisRetreatNetBufferDataStart(nb, 210, 0, NULL) == NDIS_STATUS_SUCCESS);
    }

    printf("\n5. Clone without copying (POOL-14) and copy the send OOB info (POOL-21)\n");
    NDIS_SET_NET_BUFFER_LIST_CANCEL_ID(nbl, (PVOID)(ULONG_PTR)0x0A000001);
    PNET_BUFFER_LIST clone = NdisAllocateCloneNetBufferList(nbl, NULL, NULL, 0);
    CHECK(clone != NULL);
    if (clone != NULL) {
        CHECK(NdisCopySendNetBufferListInfo(clone, nbl) == NDIS_STATUS_SUCCESS);
        CHECK(NDIS_GET_NET_BUFFER_LIST_CANCEL_ID(clone) == NDIS_GET_NET_BUFFER_LIST_CANCEL_ID(nbl));
        payload[0][0] = 'Z'; /* visible through the clone: same memory */
        const UCHAR *c = nb_bytes(NET_BUFFER_LIST_FIRST_NB(clone), scratch);
        CHECK(c != NULL && c[14] == 'Z');
        printf("  clone sees the original's bytes (wrote 'Z', clone reads '%c')\n", c ? c[14] : '?');
        NdisFreeCloneNetBufferList(clone, 0);
        payload[0][0] = 'A';
    }

    printf("\n6. Fragment into 256-byte pieces, then reassemble (POOL-18, POOL-20)\n");
    PNET_BUFFER_LIST frags = NdisAllocateFragmentNetBufferList(nbl, NULL, NULL, 14, 256, 0, 0, 0);
    CHECK(frags != NULL);
    if (frags != NULL) {
        ULONG count = 0;
        for (PNET_BUFFER f = NET_BUFFER_LIST_FIRST_NB(frags); f; f = NET_BUFFER_NEXT_NB(f)) {
            ++count;
        }
        printf("  600 payload bytes (header skipped) -> %u fragments\n", count);
        CHECK(count == 3);
        PNET_BUFFER_LIST whole = NdisAllocateReassembledNetBufferList(frags, NULL, 0, 14, 0, 0);
        CHECK(whole != NULL);
        if (whole != NULL) {
            PNET_BUFFER w = NET_BUFFER_LIST_FIRST_NB(whole);
            const UCHAR *original = nb_bytes(nb, scratch);
            const UCHAR *again = nb_bytes(w, scratch2);
            CHECK(again != NULL && original != NULL &&
                  NET_BUFFER_DATA_LENGTH(w) == 614 && memcmp(again + 14, original + 14, 600) == 0);
            printf("  reassembled %u bytes (14 retreated for a header); payload identical\n",
                   NET_BUFFER_DATA_LENGTH(w));
            NdisFreeReassembledNetBufferList(whole, 14, 0);
        }
        NdisFreeFragmentNetBufferList(frags, 0, 0);
    }

    printf("\n7. Per-driver context on the NBL (DS-13, DS-14)\n");
    CHECK(NdisAllocateNetBufferListContext(nbl, 32, 0, 'xtcT') == NDIS_STATUS_SUCCESS);
    memset(NET_BUFFER_LIST_CONTEXT_DATA_START(nbl), 0x5A, 32);
    printf("  32 bytes of context at %p\n", (void *)NET_BUFFER_LIST_CONTEXT_DATA_START(nbl));
    NdisFreeNetBufferListContext(nbl, 32);

    printf("\n8. Queue NBLs without hand-written list walking (nblqueue.h)\n");
    {
        NBL_COUNTED_QUEUE q;
        NdisInitializeNblCountedQueue(&q);
        PNET_BUFFER_LIST extra[4];
        for (int i = 0; i < 4; ++i) {
            extra[i] = NdisAllocateNetBufferList(nbl_pool, 0, 0);
            CHECK(extra[i] != NULL);
            if (extra[i] != NULL) {
                NdisAppendSingleNblToNblCountedQueue(&q, extra[i]);
            }
        }
        printf("  queued %zu NBLs\n", (size_t)q.NblCount);
        PNET_BUFFER_LIST n;
        while ((n = NdisPopFirstNblFromNblCountedQueue(&q)) != NULL) {
            NdisFreeNetBufferList(n);
        }
    }

    printf("\n9. Give everything back, and let the runtime check (POOL-10)\n");
    NdisAdvanceNetBufferDataStart(nb, sizeof ethernet, TRUE, NULL); /* frees the retreat MDL */
    NdisFreeNetBufferList(nbl);
    while (chain != NULL) {
        PMDL next = NDIS_MDL_LINKAGE(chain);
        NdisFreeMdl(chain);
        chain = next;
    }
    NdisFreeNetBufferListPool(nbl_pool);

    OPENNDIS_STATS stats;
    OpenNdisGetStats(&stats);
    printf("  live: %llu pools, %llu NBLs, %llu NBs, %llu MDLs, %llu memory blocks; "
           "%llu verifier reports\n",
           stats.NblPools + stats.NbPools, stats.Nbls, stats.Nbs, stats.Mdls,
           stats.MemoryBlocks, stats.VerifierReports);
    CHECK(stats.NblPools + stats.NbPools + stats.Nbls + stats.Nbs + stats.Mdls +
              stats.MemoryBlocks + stats.VerifierReports == 0);

    printf("\n%s\n", g_failures == 0 ? "tour complete: every check held"
                                     : "tour FAILED: see the messages above");
    return g_failures == 0 ? 0 : 1;
}
