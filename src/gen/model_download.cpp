#include "gen/model_download.h"

#include <curl/curl.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <memory>
#include <mutex>
#include <sstream>
#include <thread>

#include "core/error.h"

namespace kino::gen {
namespace fs = std::filesystem;
namespace {

using Clock = std::chrono::steady_clock;

class Sha256 {
 public:
  Sha256() : ctx_(EVP_MD_CTX_new(), EVP_MD_CTX_free) {
    if (!ctx_) fail(ErrorCode::internal, "sha256: cannot allocate a digest context");
    reset();
  }
  void reset() {
    if (EVP_DigestInit_ex(ctx_.get(), EVP_sha256(), nullptr) != 1)
      fail(ErrorCode::internal, "sha256: EVP_DigestInit_ex failed");
  }
  void update(const void* data, size_t n) { EVP_DigestUpdate(ctx_.get(), data, n); }
  std::string hex() {
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    EVP_DigestFinal_ex(ctx_.get(), md, &len);
    static const char* digits = "0123456789abcdef";
    std::string out;
    for (unsigned i = 0; i < len; ++i) {
      out += digits[md[i] >> 4];
      out += digits[md[i] & 15];
    }
    return out;
  }

 private:
  std::unique_ptr<EVP_MD_CTX, void (*)(EVP_MD_CTX*)> ctx_;
};

// Hashes the first `bytes` of a file into `sha` (the existing part of a resumed download).
void hash_prefix(const fs::path& path, int64_t bytes, Sha256& sha, const CancelToken* cancel) {
  std::ifstream in(path, std::ios::binary);
  if (!in) fail(ErrorCode::internal, path.string() + ": cannot read");
  std::vector<char> buf(1 << 20);
  while (bytes > 0) {
    if (cancel) cancel->check("model download");
    const auto n = std::streamsize(std::min<int64_t>(bytes, int64_t(buf.size())));
    in.read(buf.data(), n);
    if (in.gcount() != n) fail(ErrorCode::internal, path.string() + ": short read");
    sha.update(buf.data(), size_t(n));
    bytes -= n;
  }
}

std::string errno_text(int e) {
  return std::strerror(e);
}

void write_file_atomic(const fs::path& path, const std::string& text) {
  const fs::path tmp = path.string() + ".tmp";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    out << text;
    out.flush();
    if (!out) fail(ErrorCode::internal, tmp.string() + ": cannot write (disk full?)");
  }
  std::error_code ec;
  fs::rename(tmp, path, ec);
  if (ec) fail(ErrorCode::internal, path.string() + ": cannot rename into place: " + ec.message());
}

void curl_init_once() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

// One HTTP GET of a file into its .part, appending from `offset`.
struct Transfer {
  int fd = -1;
  int64_t offset = 0;  // bytes in the .part file
  Sha256* sha = nullptr;
  CURL* curl = nullptr;
  bool checked = false;  // status checked on the first body byte
  long status = 0;
  bool restarted = false;  // server ignored Range: the file was truncated
  int write_errno = 0;
  int64_t range_start = -1;  // from Content-Range
  int64_t range_total = -1;  // from Content-Range (".../T" or "*/T")
  int64_t content_length = -1;
  int64_t received = 0;
  const CancelToken* cancel = nullptr;
  std::function<void()> on_progress;
  Clock::time_point last_progress{};
};

int64_t parse_int(const std::string& s, size_t pos) {
  int64_t v = 0;
  bool any = false;
  while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9') {
    v = v * 10 + (s[pos++] - '0');
    any = true;
  }
  return any ? v : -1;
}

size_t header_cb(char* data, size_t size, size_t n, void* user) {
  auto* t = static_cast<Transfer*>(user);
  std::string line(data, size * n);
  std::string lower = line;
  for (auto& c : lower) c = char(std::tolower(static_cast<unsigned char>(c)));
  if (lower.rfind("http/", 0) == 0) {  // a new response (after a redirect): forget the last one
    t->range_start = t->range_total = t->content_length = -1;
  } else if (lower.rfind("content-length:", 0) == 0) {
    size_t p = 15;
    while (p < lower.size() && lower[p] == ' ') ++p;
    t->content_length = parse_int(lower, p);
  } else if (lower.rfind("content-range:", 0) == 0) {
    size_t p = lower.find("bytes", 14);
    if (p != std::string::npos) {
      p += 5;
      while (p < lower.size() && lower[p] == ' ') ++p;
      t->range_start = parse_int(lower, p);
      size_t slash = lower.find('/', p);
      if (slash != std::string::npos) t->range_total = parse_int(lower, slash + 1);
    }
  }
  return size * n;
}

size_t write_cb(char* data, size_t size, size_t n, void* user) {
  auto* t = static_cast<Transfer*>(user);
  const size_t bytes = size * n;
  if (!t->checked) {
    curl_easy_getinfo(t->curl, CURLINFO_RESPONSE_CODE, &t->status);
    if (t->status >= 300) return 0;  // the error body is not part of the file
    if (t->status == 206 && t->range_start != t->offset) return 0;
    if (t->status == 200 && t->offset > 0) {  // Range ignored: start the file again
      if (ftruncate(t->fd, 0) != 0 || lseek(t->fd, 0, SEEK_SET) != 0) {
        t->write_errno = errno;
        return 0;
      }
      t->offset = 0;
      t->sha->reset();
      t->restarted = true;
    }
    t->checked = true;
  }
  size_t done = 0;
  while (done < bytes) {
    ssize_t w = ::write(t->fd, data + done, bytes - done);
    if (w < 0) {
      if (errno == EINTR) continue;
      t->write_errno = errno;
      return 0;
    }
    done += size_t(w);
  }
  t->sha->update(data, bytes);
  t->offset += int64_t(bytes);
  t->received += int64_t(bytes);
  return bytes;
}

int xferinfo_cb(void* user, curl_off_t, curl_off_t, curl_off_t, curl_off_t) {
  auto* t = static_cast<Transfer*>(user);
  const auto now = Clock::now();
  if (t->on_progress && now - t->last_progress > std::chrono::milliseconds(100)) {
    t->last_progress = now;
    t->on_progress();
  }
  return t->cancel && t->cancel->cancelled() ? 1 : 0;
}

struct FileJob {
  const CatalogFile* file;
  std::string url;
  fs::path final_path, part_path;
  int64_t size;  // best known size (the server's once it said)
};

}  // namespace

std::string models_base_url(std::string_view override) {
  std::string base(override);
  if (base.empty())
    if (const char* env = std::getenv("KINO_MODELS_BASE_URL"); env && *env) base = env;
  if (base.empty()) base = kModelsDefaultBaseUrl;
  while (!base.empty() && base.back() == '/') base.pop_back();
  return base;
}

std::string catalog_file_url(std::string_view base_url, const CatalogFile& file) {
  return std::string(base_url) + "/" + file.repo + "/resolve/main/" + file.path;
}

std::string sha256_file(const fs::path& path) {
  std::error_code ec;
  const auto size = fs::file_size(path, ec);
  if (ec) fail(ErrorCode::internal, path.string() + ": cannot read: " + ec.message());
  Sha256 sha;
  hash_prefix(path, int64_t(size), sha, nullptr);
  return sha.hex();
}

DownloadStats model_pull(const CatalogModel& model, const fs::path& dir,
                         const DownloadOptions& options) {
  curl_init_once();
  const std::string base = models_base_url(options.base_url);
  if (base.rfind("http://", 0) != 0 && base.rfind("https://", 0) != 0 &&
      base.rfind("file://", 0) != 0)
    fail_bad_request("base URL must start with http://, https:// or file://, got \"" + base + "\"");
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec)
    fail(ErrorCode::internal, dir.string() + ": cannot create the model folder: " + ec.message());

  Json manifest = model_manifest_read(dir);
  manifest["model"] = model.name;
  if (!manifest.contains("files") || !manifest["files"].is_object())
    manifest["files"] = Json::object();

  DownloadStats stats;
  std::vector<FileJob> jobs;
  std::vector<bool> complete;
  int64_t present = 0;
  for (const auto& f : model.files) {
    FileJob job{&f, catalog_file_url(base, f), dir / f.name, dir / (f.name + ".part"), f.bytes};
    bool done = false;
    if (fs::is_regular_file(job.final_path, ec)) {
      const int64_t size = int64_t(fs::file_size(job.final_path, ec));
      const Json& rec = manifest["files"].contains(f.name) ? manifest["files"][f.name] : Json();
      const bool recorded = rec.is_object() && rec.contains("bytes") &&
                            rec["bytes"].is_number_integer() && rec["bytes"] == size;
      const bool size_ok = !f.bytes_exact || size == f.bytes;
      const bool sha_ok = f.sha256.empty() ||
                          (rec.is_object() && json_string(rec, "sha256", "sha256", "") == f.sha256);
      if (recorded && size_ok && sha_ok) {
        done = true;
        job.size = size;
        present += size;
      } else {
        // Not verified by kino: treat it as a partial download, so the server's size (and the
        // catalog's sha256) decide whether it is complete.
        fs::remove(job.part_path, ec);
        fs::rename(job.final_path, job.part_path, ec);
        if (ec)
          fail(ErrorCode::internal, job.final_path.string() + ": cannot rename: " + ec.message());
      }
    }
    if (!done && fs::is_regular_file(job.part_path, ec))
      present += int64_t(fs::file_size(job.part_path, ec));
    complete.push_back(done);
    jobs.push_back(std::move(job));
  }

  int64_t total = 0;
  for (const auto& j : jobs) total += j.size;
  stats.bytes_total = total;
  if (options.check_disk_space) {
    struct statvfs vfs {};
    if (statvfs(dir.c_str(), &vfs) == 0) {
      const int64_t free_bytes = int64_t(vfs.f_bavail) * int64_t(vfs.f_frsize);
      const int64_t need = total - present;
      if (need > free_bytes)
        fail(ErrorCode::internal, dir.string() + ": not enough disk space for " + model.name +
                                      ": about " + std::to_string(need) + " more bytes needed, " +
                                      std::to_string(free_bytes) + " free");
    }
  }

  const auto start = Clock::now();
  int64_t done_before = 0;  // bytes of files finished in this call or before
  auto report = [&](int64_t current, const std::string& stage) {
    if (!options.progress) return;
    int64_t sum = 0;
    for (const auto& j : jobs) sum += j.size;
    Progress p;
    p.done = done_before + current;
    p.total = sum;
    p.elapsed_s = std::chrono::duration<double>(Clock::now() - start).count();
    p.stage = stage;
    options.progress(p);
  };

  for (size_t i = 0; i < jobs.size(); ++i) {
    FileJob& job = jobs[i];
    const CatalogFile& f = *job.file;
    if (complete[i]) {
      ++stats.files_already_present;
      done_before += job.size;
      report(0, f.name);
      continue;
    }
    if (options.cancel) options.cancel->check("model download");
    // A failure before the first byte leaves no empty .part behind.
    struct EmptyPartRemover {
      const fs::path& part;
      ~EmptyPartRemover() {
        std::error_code e;
        if (fs::is_regular_file(part, e) && fs::file_size(part, e) == 0) fs::remove(part, e);
      }
    } remover{job.part_path};
    int fd = ::open(job.part_path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (fd < 0)
      fail(ErrorCode::internal, job.part_path.string() + ": cannot open: " + errno_text(errno));
    struct FdCloser {
      int fd;
      ~FdCloser() {
        if (fd >= 0) ::close(fd);
      }
    } closer{fd};
    Sha256 sha;
    Transfer t;
    t.fd = fd;
    t.sha = &sha;
    t.cancel = options.cancel;
    {
      struct stat st {};
      if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode)) t.offset = int64_t(st.st_size);
    }
    if (f.bytes_exact && t.offset > f.bytes) {  // longer than the file can be: start again
      if (ftruncate(fd, 0) != 0)
        fail(ErrorCode::internal,
             job.part_path.string() + ": cannot truncate: " + errno_text(errno));
      t.offset = 0;
    }
    if (t.offset > 0) hash_prefix(job.part_path, t.offset, sha, options.cancel);
    t.on_progress = [&] {
      // Once the server has said how big the file is, that replaces the catalog's estimate.
      if (t.checked && t.status == 206 && t.range_total > 0)
        job.size = t.range_total;
      else if (t.checked && t.status == 200 && t.content_length > 0)
        job.size = t.content_length;
      report(t.offset, f.name);
    };

    std::unique_ptr<CURL, void (*)(CURL*)> curl(curl_easy_init(), curl_easy_cleanup);
    if (!curl) fail(ErrorCode::internal, "libcurl: curl_easy_init failed");
    t.curl = curl.get();
    char errbuf[CURL_ERROR_SIZE];
    int attempts_left = std::max(0, options.retries);
    double delay = options.retry_delay_s;
    bool range_refused = false;
    for (;;) {
      errbuf[0] = 0;
      t.checked = false;
      t.status = 0;
      t.write_errno = 0;
      curl_easy_reset(t.curl);
      curl_easy_setopt(t.curl, CURLOPT_URL, job.url.c_str());
      curl_easy_setopt(t.curl, CURLOPT_FOLLOWLOCATION, 1L);
      curl_easy_setopt(t.curl, CURLOPT_MAXREDIRS, 10L);
      curl_easy_setopt(t.curl, CURLOPT_USERAGENT, "kino-models/1");
      curl_easy_setopt(t.curl, CURLOPT_ERRORBUFFER, errbuf);
      curl_easy_setopt(t.curl, CURLOPT_NOSIGNAL, 1L);
      curl_easy_setopt(t.curl, CURLOPT_CONNECTTIMEOUT, long(options.connect_timeout_s));
      curl_easy_setopt(t.curl, CURLOPT_LOW_SPEED_LIMIT, 1L);
      curl_easy_setopt(t.curl, CURLOPT_LOW_SPEED_TIME, long(options.stall_timeout_s));
      curl_easy_setopt(t.curl, CURLOPT_HEADERFUNCTION, header_cb);
      curl_easy_setopt(t.curl, CURLOPT_HEADERDATA, &t);
      curl_easy_setopt(t.curl, CURLOPT_WRITEFUNCTION, write_cb);
      curl_easy_setopt(t.curl, CURLOPT_WRITEDATA, &t);
      curl_easy_setopt(t.curl, CURLOPT_NOPROGRESS, 0L);
      curl_easy_setopt(t.curl, CURLOPT_XFERINFOFUNCTION, xferinfo_cb);
      curl_easy_setopt(t.curl, CURLOPT_XFERINFODATA, &t);
      const std::string range = std::to_string(t.offset) + "-";
      if (t.offset > 0) curl_easy_setopt(t.curl, CURLOPT_RANGE, range.c_str());
      const int64_t before = t.received;
      const CURLcode rc = curl_easy_perform(t.curl);
      if (t.restarted) {
        ++stats.restarts;
        t.restarted = false;
      }
      long status = t.status;
      if (!t.checked) curl_easy_getinfo(t.curl, CURLINFO_RESPONSE_CODE, &status);
      const std::string where = f.name + " (" + job.url + ")";
      if (rc == CURLE_ABORTED_BY_CALLBACK)
        fail(ErrorCode::cancelled, "download of " + f.name + " cancelled; " +
                                       std::to_string(t.offset) + " bytes kept in " +
                                       job.part_path.filename().string() + " for resume");
      if (t.write_errno == ENOSPC)
        fail(ErrorCode::internal, "disk full writing " + job.part_path.string() + " (" +
                                      std::to_string(t.offset) +
                                      " bytes written; free space and run again to resume)");
      if (t.write_errno != 0)
        fail(ErrorCode::internal,
             "cannot write " + job.part_path.string() + ": " + errno_text(t.write_errno));
      if (status == 416 && t.offset > 0) {
        // The server has no bytes past our offset: the .part is complete if its size is the
        // file's size, else it is something else and is fetched again.
        if (t.range_total == t.offset) break;
        if (range_refused)
          fail(ErrorCode::unavailable, "HTTP 416 for " + where + " even after starting again");
        range_refused = true;
        if (ftruncate(fd, 0) != 0)
          fail(ErrorCode::internal, job.part_path.string() + ": cannot truncate");
        t.offset = 0;
        sha.reset();
        ++stats.restarts;
        continue;
      }
      if (status == 206 && t.range_start >= 0 && t.range_start != t.offset && !t.checked)
        fail(ErrorCode::unavailable, "server answered the range request for " + where +
                                         " from byte " + std::to_string(t.range_start) +
                                         " instead of " + std::to_string(t.offset));
      if (status == 404)
        fail(ErrorCode::not_found,
             "HTTP 404 (not found) for " + where +
                 "; is the base URL right? (--base-url, KINO_MODELS_BASE_URL)");
      const bool server_busy = status == 429 || status >= 500;
      if (status >= 300 && !server_busy)
        fail(ErrorCode::unavailable, "HTTP " + std::to_string(status) + " for " + where);
      if (rc == CURLE_OK && !server_busy) {
        int64_t expected = -1;
        if (status == 206)
          expected = t.range_total >= 0 ? t.range_total
                     : t.range_start >= 0 && t.content_length >= 0
                         ? t.range_start + t.content_length
                         : -1;
        else if (t.content_length >= 0)
          expected = t.content_length;
        if (expected >= 0 && t.offset != expected) {
          if (attempts_left-- > 0) {
            ++stats.retries;
            continue;
          }
          fail(ErrorCode::unavailable, "download of " + where + " ended at byte " +
                                           std::to_string(t.offset) + " of " +
                                           std::to_string(expected) + "; run again to resume");
        }
        break;
      }
      if (rc == CURLE_FILE_COULDNT_READ_FILE || rc == CURLE_REMOTE_FILE_NOT_FOUND)
        fail(ErrorCode::not_found, "not found: " + where + ": " +
                                       (errbuf[0] ? std::string(errbuf) : curl_easy_strerror(rc)));
      // Network failure: retry from where the file ends now.
      const bool progressed = t.received > before;
      if (attempts_left > 0) {
        --attempts_left;
        ++stats.retries;
        if (progressed) delay = options.retry_delay_s;
        const auto until = Clock::now() + std::chrono::duration<double>(delay);
        while (Clock::now() < until) {
          if (options.cancel) options.cancel->check("model download");
          std::this_thread::sleep_for(std::chrono::milliseconds(50));
        }
        delay *= 2;
        continue;
      }
      const std::string why = server_busy ? "HTTP " + std::to_string(status)
                              : errbuf[0] ? std::string(errbuf)
                                          : std::string(curl_easy_strerror(rc));
      fail(ErrorCode::unavailable,
           "download of " + where + " failed: " + why +
               (t.offset > 0 ? " (" + std::to_string(t.offset) + " bytes kept in " +
                                   job.part_path.filename().string() +
                                   "; run the same command again to resume)"
                             : std::string()));
    }
    stats.bytes_received += t.received;
    if (fsync(fd) != 0 && errno == ENOSPC)
      fail(ErrorCode::internal, "disk full writing " + job.part_path.string());
    ::close(fd);
    closer.fd = -1;

    const std::string sum = sha.hex();
    if (f.bytes_exact && t.offset != f.bytes) {
      fs::remove(job.part_path, ec);
      fail(ErrorCode::unsupported, "size mismatch for " + f.name + ": the catalog says " +
                                       std::to_string(f.bytes) + " bytes, " + job.url + " gave " +
                                       std::to_string(t.offset) + "; the download was deleted");
    }
    if (!f.sha256.empty() && sum != f.sha256) {
      fs::remove(job.part_path, ec);
      fail(ErrorCode::unsupported, "checksum mismatch for " + f.name + ": expected sha256 " +
                                       f.sha256 + ", got " + sum + " (from " + job.url +
                                       "); the download was deleted, run again to fetch it anew");
    }
    fs::rename(job.part_path, job.final_path, ec);
    if (ec)
      fail(ErrorCode::internal,
           job.final_path.string() + ": cannot rename into place: " + ec.message());
    job.size = t.offset;
    manifest["files"][f.name] = Json{{"bytes", t.offset},
                                     {"sha256", sum},
                                     {"sha256_source", f.sha256.empty() ? "computed" : "catalog"},
                                     {"repo", f.repo},
                                     {"path", f.path}};
    write_file_atomic(dir / kModelManifestName, manifest.dump(2) + "\n");
    ++stats.files_downloaded;
    done_before += job.size;
    report(0, f.name);
  }
  if (!model.config.is_null()) write_file_atomic(dir / "config.json", model.config.dump(2) + "\n");
  // A manifest is written even when every file was already there (first use of copied files).
  write_file_atomic(dir / kModelManifestName, manifest.dump(2) + "\n");
  return stats;
}

}  // namespace kino::gen
