#pragma once
// Secrets for the service: bearer tokens, their stored hashes, signed download URLs.
// OpenSSL stays inside crypto.cpp.
#include <string>
#include <string_view>

namespace kino::service {

// `bytes` bytes from OpenSSL's CSPRNG as lowercase hex; throws Error(internal) on failure.
std::string random_hex(int bytes);
std::string sha256_hex(std::string_view data);
std::string hmac_sha256_hex(std::string_view key, std::string_view data);
// Compares without an early exit, so timing does not reveal the first differing byte.
bool constant_time_equal(std::string_view a, std::string_view b);

}  // namespace kino::service
