// core/handles.hpp — how NDIS_HANDLEs given to drivers map back to runtime objects.
//
// Every handle the runtime gives out (a miniport driver handle, an adapter's
// NdisMiniportHandle, a protocol's NdisProtocolHandle, an NdisBindingHandle, a bind or unbind
// context, a configuration handle) points at a handle_block inside the object: a magic value
// that also encodes the kind, and the object. resolve() recognises a handle by reading plain
// data — never a polymorphic object through a pointer of unknown type — so a wrong or stale
// handle is reported instead of crashing (as long as it still points at readable memory).
#pragma once

#include <ndis/types.h>

#include <cstdint>
#include <cstring>

namespace ndis::core {

enum class handle_kind : std::uint32_t {
    miniport_driver = 1,
    protocol_driver = 2,
    adapter = 3,
    binding = 4,
    bind_context = 5,
    unbind_context = 6,
    configuration = 7,
};

inline constexpr std::uint64_t kHandleMagic = 0x4E44495348000000ULL; // "NDISH"

struct handle_block {
    std::uint64_t magic;
    void *object;

    void set(handle_kind kind, void *owner) noexcept
    {
        magic = kHandleMagic | static_cast<std::uint32_t>(kind);
        object = owner;
    }
    void clear() noexcept { magic = 0; }
};

__attribute__((no_sanitize("address", "thread"))) inline void *resolve_handle(NDIS_HANDLE handle,
                                                                   handle_kind kind) noexcept
{
    if (handle == nullptr || (reinterpret_cast<std::uintptr_t>(handle) & 7) != 0) {
        return nullptr;
    }
    handle_block block;
    std::memcpy(&block, handle, sizeof block);
    return block.magic == (kHandleMagic | static_cast<std::uint32_t>(kind)) ? block.object
                                                                            : nullptr;
}

template <typename T> inline T *resolve(NDIS_HANDLE handle, handle_kind kind) noexcept
{
    return static_cast<T *>(resolve_handle(handle, kind));
}

} // namespace ndis::core
