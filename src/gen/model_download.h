#pragma once
// Downloads of catalog models over HTTP(S) with libcurl: resume of a partial `<name>.part` file
// with an HTTP Range request (a server that ignores Range restarts the file cleanly), sha256
// verification (OpenSSL), then rename into place. No LibTorch.
#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>

#include "core/progress.h"
#include "gen/model_catalog.h"

namespace kino::gen {

inline constexpr const char* kModelsDefaultBaseUrl = "https://huggingface.co";

// `override` if non-empty, else $KINO_MODELS_BASE_URL if set, else kModelsDefaultBaseUrl; no
// trailing slash.
std::string models_base_url(std::string_view override = {});
// "<base>/<repo>/resolve/main/<path>"
std::string catalog_file_url(std::string_view base_url, const CatalogFile& file);

struct DownloadOptions {
  std::string base_url;  // empty: models_base_url()
  // Called with done/total in bytes over the whole pull (already present bytes included) and
  // stage = the file name; at most ~10 times a second plus once per file end.
  ProgressFn progress;
  const CancelToken* cancel = nullptr;  // cancelled: Error(cancelled), the .part file stays
  // A dropped or stalled transfer is retried this many times per file, resuming with Range.
  int retries = 3;
  double retry_delay_s = 2;  // doubled after each retry
  int64_t connect_timeout_s = 30;
  int64_t stall_timeout_s = 60;  // abort when no byte arrives for this long
  bool check_disk_space = true;
};

struct DownloadStats {
  int64_t bytes_received = 0;  // over the network in this call
  int64_t bytes_total = 0;     // of all files
  int files_downloaded = 0;
  int files_already_present = 0;
  int restarts = 0;  // resumes refused by the server (whole file fetched again)
  int retries = 0;
};

// Downloads every file of `model` into `dir` (created), verifying each (size; sha256 when the
// catalog has one), recording size and sha256 in kino-manifest.json, then writes config.json.
// Files already complete per the manifest are skipped. Errors: Error(not_found) for HTTP 404,
// Error(unavailable) for other HTTP or network failures, Error(unsupported) for a size or
// checksum mismatch (the bad .part is deleted), Error(internal) for disk full or a write error,
// Error(cancelled); each names the file and, where there is one, the URL.
DownloadStats model_pull(const CatalogModel& model, const std::filesystem::path& dir,
                         const DownloadOptions& options = {});

// Lower-case hex sha256 of a file's bytes. Unreadable file: Error(internal).
std::string sha256_file(const std::filesystem::path& path);

}  // namespace kino::gen
