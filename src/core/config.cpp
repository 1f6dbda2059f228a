// core/config.cpp — NdisOpenConfigurationEx / NdisReadConfiguration / NdisWriteConfiguration /
// NdisCloseConfiguration / NdisReadNetworkAddress over the parameter tables of core/params.hpp.
//
// A configuration handle reads the table of the object whose handle opened it: an adapter's
// [adapter.params], a driver's [driver.params] (NdisMiniportDriverHandle / NdisProtocolHandle),
// a binding's [binding.params]. As with the registry, a string value is converted when a number
// is asked for (decimal for NdisParameterInteger, hex for NdisParameterHexInteger), and a number
// is rendered when a string is asked for. What a read returns belongs to the handle and stays
// valid until NdisCloseConfiguration.
#include "core/stack.hpp"
#include "verifier/verifier.hpp"

#include <ndis.h>

#include <cerrno>
#include <cstdlib>
#include <fmt/format.h>
#include <list>

namespace ndis::core {

using verifier::failure;

namespace {

struct config_result {
    NDIS_CONFIGURATION_PARAMETER parameter{};
    std::vector<WCHAR> text;
    std::vector<UCHAR> bytes;
};

struct config_handle {
    handle_block handle;
    param_map *params = nullptr;
    std::mutex lock;
    std::list<config_result> results; // stable addresses until close
};

std::string narrow(const NDIS_STRING *s)
{
    std::string out;
    if (s == nullptr || s->Buffer == nullptr) {
        return out;
    }
    for (USHORT i = 0; i < s->Length / sizeof(WCHAR); ++i) {
        out.push_back(s->Buffer[i] < 0x80 ? static_cast<char>(s->Buffer[i]) : '?');
    }
    return out;
}

config_handle *from(NDIS_HANDLE h)
{
    return resolve<config_handle>(h, handle_kind::configuration);
}

bool parse_integer(const std::string &text, int base, std::int64_t *out)
{
    const char *p = text.c_str();
    if (base == 16 && (std::strncmp(p, "0x", 2) == 0 || std::strncmp(p, "0X", 2) == 0)) {
        p += 2;
    }
    char *end = nullptr;
    errno = 0;
    const long long v = std::strtoll(p, &end, base);
    if (errno != 0 || end == p || *end != '\0') {
        return false;
    }
    *out = v;
    return true;
}

} // namespace

NDIS_STATUS config_open(PNDIS_CONFIGURATION_OBJECT object, PNDIS_HANDLE out)
{
    constexpr const char *api = "NdisOpenConfigurationEx";
    if (object == nullptr || out == nullptr ||
        object->Header.Type != NDIS_OBJECT_TYPE_CONFIGURATION_OBJECT) {
        verifier::report(failure::config_bad, api, object,
                         "ConfigObject missing or not of type NDIS_OBJECT_TYPE_CONFIGURATION_OBJECT "
                         "(0xA9), or ConfigurationHandle is NULL");
        return NDIS_STATUS_INVALID_PARAMETER;
    }
    param_map *params = params_of_handle(object->NdisHandle);
    if (params == nullptr) {
        verifier::report(failure::config_bad, api, object->NdisHandle,
                         "NdisHandle {} is not an adapter, driver or binding handle",
                         object->NdisHandle);
        return NDIS_STATUS_INVALID_PARAMETER;
    }
    auto *c = new (std::nothrow) config_handle;
    if (c == nullptr) {
        return NDIS_STATUS_RESOURCES;
    }
    c->handle.set(handle_kind::configuration, c);
    c->params = params;
    *out = &c->handle;
    return NDIS_STATUS_SUCCESS;
}

void config_close(NDIS_HANDLE handle)
{
    config_handle *c = from(handle);
    if (c == nullptr) {
        verifier::report(failure::config_bad, "NdisCloseConfiguration", handle,
                         "{} is not an open configuration handle", handle);
        return;
    }
    c->handle.clear();
    delete c;
}

void config_read(PNDIS_STATUS status, PNDIS_CONFIGURATION_PARAMETER *value, NDIS_HANDLE handle,
                 PNDIS_STRING keyword, NDIS_PARAMETER_TYPE type)
{
    constexpr const char *api = "NdisReadConfiguration";
    *value = nullptr;
    config_handle *c = from(handle);
    if (c == nullptr || keyword == nullptr) {
        verifier::report(failure::config_bad, api, handle,
                         "{} is not an open configuration handle, or Keyword is NULL", handle);
        *status = NDIS_STATUS_FAILURE;
        return;
    }
    const std::string key = narrow(keyword);
    std::lock_guard<std::mutex> g(c->lock);
    const auto it = c->params->find(key);
    if (it == c->params->end()) {
        *status = NDIS_STATUS_FAILURE; // not present: the driver uses its default
        return;
    }
    config_result &r = c->results.emplace_back();
    r.parameter.ParameterType = type;
    if (type == NdisParameterInteger || type == NdisParameterHexInteger) {
        std::int64_t v = 0;
        if (const auto *i = std::get_if<std::int64_t>(&it->second)) {
            v = *i;
        } else if (!parse_integer(std::get<std::string>(it->second),
                                  type == NdisParameterHexInteger ? 16 : 10, &v)) {
            c->results.pop_back();
            *status = NDIS_STATUS_FAILURE;
            return;
        }
        r.parameter.ParameterData.IntegerData = static_cast<ULONG>(v);
    } else if (type == NdisParameterString || type == NdisParameterMultiString) {
        std::string text;
        if (const auto *i = std::get_if<std::int64_t>(&it->second)) {
            text = fmt::format("{}", *i);
        } else {
            text = std::get<std::string>(it->second);
        }
        for (unsigned char ch : text) {
            r.text.push_back(ch);
        }
        r.text.push_back(0);
        if (type == NdisParameterMultiString) {
            r.text.push_back(0);
        }
        r.parameter.ParameterData.StringData.Buffer = r.text.data();
        r.parameter.ParameterData.StringData.Length =
            static_cast<USHORT>(text.size() * sizeof(WCHAR));
        r.parameter.ParameterData.StringData.MaximumLength =
            static_cast<USHORT>(r.text.size() * sizeof(WCHAR));
    } else {
        c->results.pop_back();
        *status = NDIS_STATUS_NOT_SUPPORTED;
        return;
    }
    *value = &r.parameter;
    *status = NDIS_STATUS_SUCCESS;
}

void config_write(PNDIS_STATUS status, NDIS_HANDLE handle, PNDIS_STRING keyword,
                  PNDIS_CONFIGURATION_PARAMETER value)
{
    config_handle *c = from(handle);
    if (c == nullptr || keyword == nullptr || value == nullptr) {
        verifier::report(failure::config_bad, "NdisWriteConfiguration", handle,
                         "invalid handle, Keyword or ParameterValue");
        *status = NDIS_STATUS_FAILURE;
        return;
    }
    std::lock_guard<std::mutex> g(c->lock);
    const std::string key = narrow(keyword);
    if (value->ParameterType == NdisParameterInteger ||
        value->ParameterType == NdisParameterHexInteger) {
        (*c->params)[key] = static_cast<std::int64_t>(value->ParameterData.IntegerData);
    } else if (value->ParameterType == NdisParameterString) {
        (*c->params)[key] = narrow(&value->ParameterData.StringData);
    } else {
        *status = NDIS_STATUS_NOT_SUPPORTED;
        return;
    }
    *status = NDIS_STATUS_SUCCESS;
}

void config_read_network_address(PNDIS_STATUS status, PVOID *address, PUINT length,
                                 NDIS_HANDLE handle)
{
    *address = nullptr;
    *length = 0;
    config_handle *c = from(handle);
    if (c == nullptr) {
        verifier::report(failure::config_bad, "NdisReadNetworkAddress", handle,
                         "{} is not an open configuration handle", handle);
        *status = NDIS_STATUS_FAILURE;
        return;
    }
    std::lock_guard<std::mutex> g(c->lock);
    const auto it = c->params->find("NetworkAddress");
    const auto *text = it != c->params->end() ? std::get_if<std::string>(&it->second) : nullptr;
    if (text == nullptr) {
        *status = NDIS_STATUS_FAILURE;
        return;
    }
    std::vector<UCHAR> bytes;
    int nibble = -1;
    for (char ch : *text) {
        if (ch == '-' || ch == ':') {
            continue;
        }
        int v;
        if (ch >= '0' && ch <= '9') {
            v = ch - '0';
        } else if (ch >= 'a' && ch <= 'f') {
            v = ch - 'a' + 10;
        } else if (ch >= 'A' && ch <= 'F') {
            v = ch - 'A' + 10;
        } else {
            *status = NDIS_STATUS_FAILURE;
            return;
        }
        if (nibble < 0) {
            nibble = v;
        } else {
            bytes.push_back(static_cast<UCHAR>(nibble << 4 | v));
            nibble = -1;
        }
    }
    if (nibble >= 0 || bytes.empty() || bytes.size() > NDIS_MAX_PHYS_ADDRESS_LENGTH) {
        *status = NDIS_STATUS_FAILURE;
        return;
    }
    config_result &r = c->results.emplace_back();
    r.bytes = std::move(bytes);
    *address = r.bytes.data();
    *length = static_cast<UINT>(r.bytes.size());
    *status = NDIS_STATUS_SUCCESS;
}

} // namespace ndis::core
