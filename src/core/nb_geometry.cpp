// core/nb_geometry.cpp — see nb_geometry.hpp.
#include "core/nb_geometry.hpp"

#include <fmt/format.h>

namespace ndis::core {

bool nb_check(const NET_BUFFER *nb, std::string *why)
{
    auto fail = [why](std::string text) {
        if (why != nullptr) {
            *why = std::move(text);
        }
        return false;
    };
    if (nb->MdlChain == nullptr) {
        if (nb->DataOffset != 0 || nb->DataLength != 0 || nb->CurrentMdl != nullptr) {
            return fail(fmt::format("no MDL chain but DataOffset {} DataLength {} CurrentMdl {}",
                                    nb->DataOffset, nb->DataLength,
                                    static_cast<const void *>(nb->CurrentMdl)));
        }
        return true;
    }
    std::uint64_t before = 0;
    std::uint64_t total = 0;
    bool found = false;
    std::size_t n = 0;
    for (const MDL *m = nb->MdlChain; m != nullptr; m = m->Next, ++n) {
        if (n >= kMaxChainWalk) {
            return fail("MDL chain longer than 2^20 MDLs (cyclic?)");
        }
        if (m == nb->CurrentMdl && !found) {
            found = true;
            before = total;
        }
        total += m->ByteCount;
    }
    if (!found) {
        return fail(fmt::format("CurrentMdl {} is not on the NB's MDL chain",
                                static_cast<const void *>(nb->CurrentMdl)));
    }
    if (nb->CurrentMdlOffset > nb->CurrentMdl->ByteCount) {
        return fail(fmt::format("CurrentMdlOffset {} beyond CurrentMdl ByteCount {}",
                                nb->CurrentMdlOffset, nb->CurrentMdl->ByteCount));
    }
    if (before + nb->CurrentMdlOffset != nb->DataOffset) {
        return fail(fmt::format("DataOffset {} != bytes before CurrentMdl {} + CurrentMdlOffset {}",
                                nb->DataOffset, before, nb->CurrentMdlOffset));
    }
    if (static_cast<std::uint64_t>(nb->DataOffset) + nb->DataLength > total) {
        return fail(fmt::format("DataOffset {} + DataLength {} exceeds the MDL chain's {} bytes",
                                nb->DataOffset, nb->DataLength, total));
    }
    return true;
}

bool nbl_check(const NET_BUFFER_LIST *nbl, std::string *why)
{
    const ULONG f = nbl->NblFlags;
    auto fail = [why](std::string text) {
        if (why != nullptr) {
            *why = std::move(text);
        }
        return false;
    };
    if ((f & NDIS_NBL_FLAGS_IS_IPV4) && (f & NDIS_NBL_FLAGS_IS_IPV6)) {
        return fail("NblFlags has both IS_IPV4 and IS_IPV6 (DS-19)");
    }
    if ((f & NDIS_NBL_FLAGS_IS_TCP) && (f & NDIS_NBL_FLAGS_IS_UDP)) {
        return fail("NblFlags has both IS_TCP and IS_UDP (DS-19)");
    }
    if ((f & (NDIS_NBL_FLAGS_IS_TCP | NDIS_NBL_FLAGS_IS_UDP)) &&
        !(f & (NDIS_NBL_FLAGS_IS_IPV4 | NDIS_NBL_FLAGS_IS_IPV6))) {
        return fail("NblFlags has IS_TCP/IS_UDP without IS_IPV4/IS_IPV6 (DS-19)");
    }
    if ((f & NDIS_NBL_FLAGS_SPLIT_AT_UPPER_LAYER_PROTOCOL_HEADER) &&
        (f & NDIS_NBL_FLAGS_SPLIT_AT_UPPER_LAYER_PROTOCOL_PAYLOAD)) {
        return fail("NblFlags has both SPLIT_AT_UPPER_LAYER_PROTOCOL flags (DS-19)");
    }
    std::size_t index = 0;
    for (const NET_BUFFER *nb = nbl->FirstNetBuffer; nb != nullptr; nb = nb->Next, ++index) {
        if (index >= kMaxChainWalk) {
            return fail("NB list longer than 2^20 NBs (cyclic?)");
        }
        std::string inner;
        if (!nb_check(nb, &inner)) {
            return fail(fmt::format("NB #{} ({}): {}", index, static_cast<const void *>(nb),
                                    inner));
        }
    }
    return true;
}

} // namespace ndis::core
