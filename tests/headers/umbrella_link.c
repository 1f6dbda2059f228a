/*
 * umbrella_link.c — a C11 program that includes only <ndis.h> and <openndis/runtime.h>, links
 * against libopenndis.so and makes a few calls: proves the umbrella header is usable from C and
 * that the symbols it declares are exported by the library (ctest headers.umbrella_link).
 */
#include <ndis.h>
#include <openndis/runtime.h>

#include <stdio.h>

int main(void)
{
    NET_BUFFER_LIST_POOL_PARAMETERS p = {0};
    p.Header.Type = NDIS_OBJECT_TYPE_DEFAULT;
    p.Header.Revision = NET_BUFFER_LIST_POOL_PARAMETERS_REVISION_1;
    p.Header.Size = NDIS_SIZEOF_NET_BUFFER_LIST_POOL_PARAMETERS_REVISION_1;
    p.fAllocateNetBuffer = TRUE;
    p.DataSize = 1514;
    p.PoolTag = 0x6b6e6c55; /* 'Ulnk' */

    NDIS_HANDLE pool = NdisAllocateNetBufferListPool(NULL, &p);
    if (pool == NULL) {
        fprintf(stderr, "umbrella_link: NdisAllocateNetBufferListPool failed\n");
        return 1;
    }
    PNET_BUFFER_LIST nbl = NdisAllocateNetBufferList(pool, 0, 0);
    if (nbl == NULL || NET_BUFFER_LIST_FIRST_NB(nbl) == NULL) {
        fprintf(stderr, "umbrella_link: NdisAllocateNetBufferList failed\n");
        return 1;
    }
    NdisFreeNetBufferList(nbl);
    NdisFreeNetBufferListPool(pool);

    OPENNDIS_STATS s;
    OpenNdisGetStats(&s);
    if (s.Nbls != 0 || s.NblPools != 0) {
        char report[4096];
        OpenNdisLeakReport(report, sizeof report);
        fprintf(stderr, "umbrella_link: leaked objects:\n%s\n", report);
        return 1;
    }
    printf("umbrella_link: ok\n");
    return 0;
}
