#include "service/url_fetch.h"

#include <arpa/inet.h>
#include <curl/curl.h>
#include <netdb.h>
#include <sys/socket.h>

#include <algorithm>
#include <cstdio>
#include <memory>
#include <vector>

#include "core/error.h"

namespace kino::service {
namespace {

bool v4_is_public(uint32_t a) {  // host byte order
  auto in = [a](uint32_t net, int bits) {
    uint32_t mask = bits == 0 ? 0 : ~uint32_t(0) << (32 - bits);
    return (a & mask) == net;
  };
  return !(in(0x00000000, 8) || in(0x0A000000, 8) || in(0x64400000, 10) || in(0x7F000000, 8) ||
           in(0xA9FE0000, 16) || in(0xAC100000, 12) || in(0xC0000000, 24) || in(0xC0000200, 24) ||
           in(0xC0A80000, 16) || in(0xC6120000, 15) || in(0xC6336400, 24) || in(0xCB007100, 24) ||
           in(0xE0000000, 3));
}

struct CurlDeleter {
  void operator()(CURL* c) const { curl_easy_cleanup(c); }
};
struct UrlDeleter {
  void operator()(CURLU* u) const { curl_url_cleanup(u); }
};
struct SlistDeleter {
  void operator()(curl_slist* s) const { curl_slist_free_all(s); }
};

struct Sink {
  std::FILE* file = nullptr;
  int64_t written = 0;
  int64_t max = 0;
  bool too_large = false;
};

size_t on_write(char* data, size_t size, size_t n, void* user) {
  auto* sink = static_cast<Sink*>(user);
  size_t bytes = size * n;
  if (sink->written + int64_t(bytes) > sink->max) {
    sink->too_large = true;
    return 0;
  }
  if (std::fwrite(data, 1, bytes, sink->file) != bytes) return 0;
  sink->written += int64_t(bytes);
  return bytes;
}

std::string url_part(CURLU* u, CURLUPart part) {
  char* s = nullptr;
  if (curl_url_get(u, part, &s, part == CURLUPART_PORT ? CURLU_DEFAULT_PORT : 0) != CURLUE_OK)
    return {};
  std::string out(s);
  curl_free(s);
  return out;
}

std::string brief(const std::string& url) {
  return "\"" + url.substr(0, 200) + "\"";
}

}  // namespace

bool ip_is_public(std::string_view ip) {
  std::string s(ip);
  in_addr v4{};
  if (inet_pton(AF_INET, s.c_str(), &v4) == 1) return v4_is_public(ntohl(v4.s_addr));
  in6_addr v6{};
  if (inet_pton(AF_INET6, s.c_str(), &v6) != 1) return false;
  const uint8_t* b = v6.s6_addr;
  static const uint8_t kMapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
  if (std::equal(kMapped, kMapped + 12, b))
    return v4_is_public(uint32_t(b[12]) << 24 | uint32_t(b[13]) << 16 | uint32_t(b[14]) << 8 |
                        b[15]);
  bool zero_prefix = std::all_of(b, b + 15, [](uint8_t x) { return x == 0; });
  if (zero_prefix) return false;                            // :: and ::1
  if ((b[0] & 0xfe) == 0xfc) return false;                  // fc00::/7 unique local
  if (b[0] == 0xfe && (b[1] & 0xc0) == 0x80) return false;  // fe80::/10 link-local
  if (b[0] == 0xff) return false;                           // multicast
  if (b[0] == 0x20 && b[1] == 0x01 && b[2] == 0x0d && b[3] == 0xb8) return false;  // docs
  return true;
}

std::string url_fetch(const std::string& first_url, const std::filesystem::path& out,
                      const UrlFetchLimits& limits) {
  std::string url = first_url;
  for (int hop = 0; hop <= limits.max_redirects; ++hop) {
    std::unique_ptr<CURLU, UrlDeleter> u(curl_url());
    if (!u || curl_url_set(u.get(), CURLUPART_URL, url.c_str(), 0) != CURLUE_OK)
      fail_bad_request("urls: " + brief(url) + " is not a valid URL");
    const std::string scheme = url_part(u.get(), CURLUPART_SCHEME);
    if (scheme != "http" && scheme != "https")
      fail_bad_request("urls: " + brief(url) + " must use http or https, got \"" + scheme + "\"");
    const std::string host = url_part(u.get(), CURLUPART_HOST);
    const std::string port = url_part(u.get(), CURLUPART_PORT);
    if (host.empty()) fail_bad_request("urls: " + brief(url) + " has no host");

    // Resolve once, check every address, then pin curl to the checked one.
    std::string bare = host;
    if (bare.size() > 2 && bare.front() == '[') bare = bare.substr(1, bare.size() - 2);
    addrinfo hints{};
    hints.ai_socktype = SOCK_STREAM;
    addrinfo* res = nullptr;
    if (getaddrinfo(bare.c_str(), port.c_str(), &hints, &res) != 0 || !res)
      fail_bad_request("urls: host of " + brief(url) + " does not resolve");
    std::string chosen;
    for (addrinfo* a = res; a; a = a->ai_next) {
      char buf[INET6_ADDRSTRLEN] = {};
      const void* addr =
          a->ai_family == AF_INET
              ? static_cast<const void*>(&reinterpret_cast<sockaddr_in*>(a->ai_addr)->sin_addr)
              : static_cast<const void*>(&reinterpret_cast<sockaddr_in6*>(a->ai_addr)->sin6_addr);
      if (!inet_ntop(a->ai_family, addr, buf, sizeof buf)) continue;
      if (!limits.allow_private && !ip_is_public(buf)) {
        freeaddrinfo(res);
        fail_bad_request("urls: " + brief(url) + " resolves to a non-public address (" + buf +
                         "); private, loopback and link-local hosts are refused");
      }
      if (chosen.empty()) chosen = buf;
    }
    freeaddrinfo(res);
    if (chosen.empty()) fail_bad_request("urls: host of " + brief(url) + " does not resolve");
    if (chosen.find(':') != std::string::npos) chosen = "[" + chosen + "]";

    std::unique_ptr<CURL, CurlDeleter> curl(curl_easy_init());
    if (!curl) fail(ErrorCode::internal, "libcurl failed to start");
    std::unique_ptr<curl_slist, SlistDeleter> pin(
        curl_slist_append(nullptr, (bare + ":" + port + ":" + chosen).c_str()));
    Sink sink;
    sink.max = limits.max_bytes;
    sink.file = std::fopen(out.c_str(), "wb");
    if (!sink.file) fail(ErrorCode::internal, "cannot create " + out.string());
    CURL* c = curl.get();
    curl_easy_setopt(c, CURLOPT_URL, url.c_str());
    curl_easy_setopt(c, CURLOPT_RESOLVE, pin.get());
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, long(limits.timeout_ms));
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, long(limits.connect_timeout_ms));
    curl_easy_setopt(c, CURLOPT_MAXFILESIZE_LARGE, curl_off_t(limits.max_bytes));
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_write);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &sink);
    curl_easy_setopt(c, CURLOPT_USERAGENT, "kino");
    CURLcode rc = curl_easy_perform(c);
    std::fclose(sink.file);
    long status = 0;
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    if (sink.too_large || rc == CURLE_FILESIZE_EXCEEDED)
      fail(ErrorCode::too_large, "urls: " + brief(url) + " is larger than " +
                                     std::to_string(limits.max_bytes) + " bytes");
    if (rc != CURLE_OK)
      fail_bad_request("urls: fetching " + brief(url) + " failed: " + curl_easy_strerror(rc));
    if (status >= 300 && status < 400) {
      char* next = nullptr;
      curl_easy_getinfo(c, CURLINFO_REDIRECT_URL, &next);
      if (!next) fail_bad_request("urls: " + brief(url) + " redirects without a Location");
      url = next;
      continue;
    }
    if (status < 200 || status >= 300)
      fail_bad_request("urls: fetching " + brief(url) + " failed: HTTP " + std::to_string(status));
    std::string path = url_part(u.get(), CURLUPART_PATH);
    std::string name = path.substr(path.find_last_of('/') + 1);
    return name.empty() ? "download" : name;
  }
  fail_bad_request("urls: " + brief(first_url) + " redirects more than " +
                   std::to_string(limits.max_redirects) + " times");
}

}  // namespace kino::service
