#pragma once
// Uploads by URL: the server fetches http(s) URLs itself, refusing hosts that resolve to
// private, loopback, link-local or other non-public addresses (the connection is pinned
// to the address that was checked, and each redirect is checked again).
#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>

namespace kino::service {

struct UrlFetchLimits {
  int64_t max_bytes = 20LL * 1024 * 1024;
  int64_t timeout_ms = 60000;  // the whole transfer
  int64_t connect_timeout_ms = 10000;
  int max_redirects = 3;
  bool allow_private = false;  // tests fetch from loopback
};

// Downloads `url` into `out`. Returns the last path segment of the final URL (display
// name). Throws Error(bad_request) for refused or failed URLs (naming the URL and why),
// Error(too_large) beyond max_bytes.
std::string url_fetch(const std::string& url, const std::filesystem::path& out,
                      const UrlFetchLimits& limits);

// True for an address a server may fetch from: not private, loopback, link-local,
// carrier-grade NAT, multicast, unspecified or reserved. `ip` is numeric v4 or v6.
bool ip_is_public(std::string_view ip);

}  // namespace kino::service
