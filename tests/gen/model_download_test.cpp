// `kino models pull` against a small HTTP file server on loopback that can drop the connection
// mid-file, stall, ignore Range, serve a wrong byte, redirect, or answer 404.
#include "gen/model_download.h"

#include <gtest/gtest.h>

#include <atomic>
#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <chrono>
#include <fstream>
#include <map>
#include <mutex>
#include <sstream>
#include <thread>

#include "core/error.h"
#include "support/test_dir.h"

namespace kino::gen {
namespace {

namespace fs = std::filesystem;
namespace asio = boost::asio;
namespace http = boost::beast::http;
using asio::ip::tcp;

// Serves registered paths with HTTP/1.1 keep-alive, one connection at a time.
class TestFileServer {
 public:
  TestFileServer() : acceptor_(io_, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0)) {
    port_ = acceptor_.local_endpoint().port();
    thread_ = std::thread([this] { run(); });
  }
  ~TestFileServer() {
    stop_ = true;
    boost::system::error_code ec;
    tcp::socket poke(io_);
    poke.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port_), ec);
    thread_.join();
  }
  std::string base_url() const { return "http://127.0.0.1:" + std::to_string(port_); }
  void add(const std::string& path, std::string content) {
    std::lock_guard<std::mutex> lock(mu_);
    files_[path] = std::move(content);
  }
  // Request log: "<path> <Range header or ->".
  std::vector<std::string> requests() {
    std::lock_guard<std::mutex> lock(mu_);
    return requests_;
  }

  std::atomic<int64_t> drop_after{-1};   // next response: close after this many body bytes
  std::atomic<int64_t> stall_after{-1};  // next response: pause after this many body bytes
  std::atomic<bool> ignore_range{false};
  std::atomic<int64_t> corrupt_at{-1};  // file offset whose byte is served wrong (every time)

 private:
  void run() {
    while (!stop_) {
      tcp::socket socket(io_);
      boost::system::error_code ec;
      acceptor_.accept(socket, ec);
      if (ec || stop_) break;
      serve(socket);
    }
  }

  void serve(tcp::socket& socket) {
    boost::beast::flat_buffer buffer;
    for (;;) {
      http::request<http::string_body> req;
      boost::system::error_code ec;
      http::read(socket, buffer, req, ec);
      if (ec) return;
      const std::string target(req.target());
      const std::string range(req[http::field::range]);
      std::string content;
      bool found = false;
      {
        std::lock_guard<std::mutex> lock(mu_);
        requests_.push_back(target + " " + (range.empty() ? "-" : range));
        auto it = files_.find(target);
        if (it != files_.end()) {
          content = it->second;
          found = true;
        }
      }
      std::ostringstream head;
      if (target.rfind("/moved/", 0) == 0) {
        head << "HTTP/1.1 302 Found\r\nLocation: " << target.substr(6)
             << "\r\nContent-Length: 0\r\n\r\n";
        asio::write(socket, asio::buffer(head.str()), ec);
        continue;
      }
      if (!found) {
        const std::string body = "Entry not found";
        head << "HTTP/1.1 404 Not Found\r\nContent-Length: " << body.size() << "\r\n\r\n" << body;
        asio::write(socket, asio::buffer(head.str()), ec);
        continue;
      }
      const int64_t size = int64_t(content.size());
      if (corrupt_at >= 0 && corrupt_at < size) content[size_t(corrupt_at.load())] ^= 0x5a;
      int64_t start = 0;
      if (!range.empty() && !ignore_range && range.rfind("bytes=", 0) == 0)
        start = std::stoll(range.substr(6));
      if (start >= size && start > 0) {
        head << "HTTP/1.1 416 Range Not Satisfiable\r\nContent-Range: bytes */" << size
             << "\r\nContent-Length: 0\r\n\r\n";
        asio::write(socket, asio::buffer(head.str()), ec);
        continue;
      }
      if (start > 0)
        head << "HTTP/1.1 206 Partial Content\r\nContent-Range: bytes " << start << "-" << size - 1
             << "/" << size << "\r\n";
      else
        head << "HTTP/1.1 200 OK\r\n";
      head << "Content-Length: " << size - start << "\r\n\r\n";
      asio::write(socket, asio::buffer(head.str()), ec);
      const std::string body = content.substr(size_t(start));
      const int64_t drop = drop_after.exchange(-1);
      const int64_t stall = stall_after.exchange(-1);
      if (drop >= 0 && drop < int64_t(body.size())) {
        asio::write(socket, asio::buffer(body.data(), size_t(drop)), ec);
        socket.shutdown(tcp::socket::shutdown_both, ec);
        socket.close(ec);
        return;
      }
      if (stall >= 0 && stall < int64_t(body.size())) {
        asio::write(socket, asio::buffer(body.data(), size_t(stall)), ec);
        // Wait until the client gives up (it cancels) or two seconds pass.
        for (int i = 0; i < 40 && !stop_; ++i)
          std::this_thread::sleep_for(std::chrono::milliseconds(50));
        asio::write(socket, asio::buffer(body.data() + stall, body.size() - size_t(stall)), ec);
        if (ec) return;
        continue;
      }
      asio::write(socket, asio::buffer(body), ec);
      if (ec) return;
    }
  }

  asio::io_context io_;
  tcp::acceptor acceptor_;
  unsigned short port_ = 0;
  std::thread thread_;
  std::atomic<bool> stop_{false};
  std::mutex mu_;
  std::map<std::string, std::string> files_;
  std::vector<std::string> requests_;
};

std::string pattern_bytes(size_t n, uint32_t seed) {
  std::string s(n, '\0');
  uint32_t x = seed;
  for (auto& c : s) {
    x = x * 1664525u + 1013904223u;
    c = char(x >> 24);
  }
  return s;
}

std::string read_all(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void write_all(const fs::path& p, const std::string& s) {
  std::ofstream out(p, std::ios::binary | std::ios::trunc);
  out << s;
}

// sha256 of "abc" and of the empty string: the OpenSSL wiring against known vectors.
TEST(ModelDownload, Sha256KnownVectors) {
  kino::testing::TestDir dir("sha");
  write_all(dir / "abc", "abc");
  write_all(dir / "empty", "");
  EXPECT_EQ(sha256_file(dir / "abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(sha256_file(dir / "empty"),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_THROW(sha256_file(dir / "absent"), Error);
}

TEST(ModelDownload, BaseUrlOverrideEnvAndDefault) {
  const char* old = std::getenv("KINO_MODELS_BASE_URL");
  std::string saved = old ? old : "";
  unsetenv("KINO_MODELS_BASE_URL");
  EXPECT_EQ(models_base_url(), kModelsDefaultBaseUrl);
  setenv("KINO_MODELS_BASE_URL", "http://mirror.example/hub/", 1);
  EXPECT_EQ(models_base_url(), "http://mirror.example/hub");
  EXPECT_EQ(models_base_url("http://other:8080"), "http://other:8080");
  CatalogFile f{"org/repo", "split_files/vae/v.safetensors", "v.safetensors", 1, true, ""};
  EXPECT_EQ(catalog_file_url(models_base_url(), f),
            "http://mirror.example/hub/org/repo/resolve/main/split_files/vae/v.safetensors");
  if (old)
    setenv("KINO_MODELS_BASE_URL", saved.c_str(), 1);
  else
    unsetenv("KINO_MODELS_BASE_URL");
}

class PullTest : public ::testing::Test {
 protected:
  PullTest() : dir_("pull") {
    big_ = pattern_bytes(300000, 7);
    small_ = pattern_bytes(5000, 11);
    server_.add("/org/wan/resolve/main/split/dit.safetensors", big_);
    server_.add("/org/wan/resolve/main/vae/vae.safetensors", small_);
    write_all(dir_ / "probe", big_);
    big_sha_ = sha256_file(dir_ / "probe");
    fs::remove(dir_ / "probe");
    model_ = model_catalog_parse(Json::parse(R"([{
      "name": "tiny", "description": "test",
      "files": [
        {"repo": "org/wan", "path": "split/dit.safetensors", "bytes": 300000,
         "sha256": ")" + big_sha_ + R"("},
        {"repo": "org/wan", "path": "vae/vae.safetensors", "bytes": 4000, "bytes_exact": false}
      ],
      "config": {"dim": 64, "num_layers": 2}
    }])"))[0];
    options_.base_url = server_.base_url();
    options_.retries = 0;
    options_.retry_delay_s = 0;
  }
  fs::path model_dir() const { return dir_ / "models" / "tiny"; }
  int count_requests(const std::string& needle) {
    int n = 0;
    for (const auto& r : server_.requests())
      if (r.find(needle) != std::string::npos) ++n;
    return n;
  }

  kino::testing::TestDir dir_;
  TestFileServer server_;
  std::string big_, small_, big_sha_;
  CatalogModel model_;
  DownloadOptions options_;
};

TEST_F(PullTest, DownloadsVerifiesRecordsAndSkipsCompleteFiles) {
  std::vector<Progress> seen;
  options_.progress = [&](const Progress& p) { seen.push_back(p); };
  DownloadStats s = model_pull(model_, model_dir(), options_);
  EXPECT_EQ(s.files_downloaded, 2);
  EXPECT_EQ(s.bytes_received, 305000);
  EXPECT_EQ(read_all(model_dir() / "dit.safetensors"), big_);
  EXPECT_EQ(read_all(model_dir() / "vae.safetensors"), small_);
  EXPECT_FALSE(fs::exists(model_dir() / "dit.safetensors.part"));
  ASSERT_FALSE(seen.empty());
  EXPECT_EQ(seen.back().done, 305000);
  EXPECT_EQ(seen.back().total, 305000);  // the server's size replaced the 4000-byte estimate

  Json manifest = Json::parse(read_all(model_dir() / kModelManifestName));
  EXPECT_EQ(manifest["model"], "tiny");
  EXPECT_EQ(manifest["files"]["dit.safetensors"]["sha256"], big_sha_);
  EXPECT_EQ(manifest["files"]["dit.safetensors"]["sha256_source"], "catalog");
  EXPECT_EQ(manifest["files"]["vae.safetensors"]["bytes"], 5000);
  EXPECT_EQ(manifest["files"]["vae.safetensors"]["sha256_source"], "computed");
  EXPECT_EQ(Json::parse(read_all(model_dir() / "config.json"))["dim"], 64);

  CatalogModelStatus st = model_catalog_status(model_, model_dir(), /*verify=*/true);
  EXPECT_EQ(st.state, ModelState::installed);
  EXPECT_EQ(st.bytes_present, 305000);

  const size_t before = server_.requests().size();
  DownloadStats again = model_pull(model_, model_dir(), options_);
  EXPECT_EQ(again.files_already_present, 2);
  EXPECT_EQ(again.bytes_received, 0);
  EXPECT_EQ(server_.requests().size(), before);

  // A file changed on disk after the pull no longer counts as verified.
  write_all(model_dir() / "vae.safetensors", pattern_bytes(5000, 99));
  st = model_catalog_status(model_, model_dir(), /*verify=*/true);
  EXPECT_EQ(st.state, ModelState::partial);
  EXPECT_NE(st.files[1].problem.find("sha256"), std::string::npos) << st.files[1].problem;
}

TEST_F(PullTest, ResumesWithRangeAfterADroppedConnection) {
  server_.drop_after = 120000;
  try {
    model_pull(model_, model_dir(), options_);
    FAIL() << "expected the drop to fail the pull";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::unavailable);
    EXPECT_NE(std::string(e.what()).find("dit.safetensors"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("resume"), std::string::npos) << e.what();
  }
  EXPECT_EQ(fs::file_size(model_dir() / "dit.safetensors.part"), 120000u);
  EXPECT_EQ(model_catalog_status(model_, model_dir()).state, ModelState::partial);
  EXPECT_TRUE(model_catalog_status(model_, model_dir()).files[0].partial);

  DownloadStats s = model_pull(model_, model_dir(), options_);
  EXPECT_EQ(s.bytes_received, 300000 - 120000 + 5000);
  EXPECT_EQ(count_requests("dit.safetensors bytes=120000-"), 1);
  EXPECT_EQ(read_all(model_dir() / "dit.safetensors"), big_);
  EXPECT_EQ(model_catalog_status(model_, model_dir()).state, ModelState::installed);
}

TEST_F(PullTest, RetriesADropWithinOneCall) {
  server_.drop_after = 50000;
  options_.retries = 2;
  DownloadStats s = model_pull(model_, model_dir(), options_);
  EXPECT_EQ(s.retries, 1);
  EXPECT_EQ(count_requests("bytes=50000-"), 1);
  EXPECT_EQ(read_all(model_dir() / "dit.safetensors"), big_);
}

TEST_F(PullTest, ServerIgnoringRangeRestartsTheFileCleanly) {
  fs::create_directories(model_dir());
  write_all(model_dir() / "dit.safetensors.part", big_.substr(0, 1000));
  server_.ignore_range = true;
  DownloadStats s = model_pull(model_, model_dir(), options_);
  EXPECT_EQ(s.restarts, 1);
  EXPECT_EQ(count_requests("dit.safetensors bytes=1000-"), 1);
  EXPECT_EQ(read_all(model_dir() / "dit.safetensors"), big_);
}

TEST_F(PullTest, ChecksumMismatchNamesTheFileAndDeletesThePart) {
  server_.corrupt_at = 123456;
  try {
    model_pull(model_, model_dir(), options_);
    FAIL() << "expected a checksum mismatch";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::unsupported);
    const std::string m = e.what();
    EXPECT_NE(m.find("checksum mismatch for dit.safetensors"), std::string::npos) << m;
    EXPECT_NE(m.find(big_sha_), std::string::npos) << m;
  }
  EXPECT_FALSE(fs::exists(model_dir() / "dit.safetensors"));
  EXPECT_FALSE(fs::exists(model_dir() / "dit.safetensors.part"));
  server_.corrupt_at = -1;
  model_pull(model_, model_dir(), options_);
  EXPECT_EQ(read_all(model_dir() / "dit.safetensors"), big_);
}

TEST_F(PullTest, NotFoundNamesTheFileAndTheUrl) {
  model_.files[1].path = "vae/missing.safetensors";
  try {
    model_pull(model_, model_dir(), options_);
    FAIL() << "expected 404";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::not_found);
    const std::string m = e.what();
    EXPECT_NE(m.find("HTTP 404"), std::string::npos) << m;
    EXPECT_NE(m.find("/org/wan/resolve/main/vae/missing.safetensors"), std::string::npos) << m;
  }
  // The file before it is complete; the 404 body was not written anywhere.
  EXPECT_TRUE(fs::exists(model_dir() / "dit.safetensors"));
  EXPECT_FALSE(fs::exists(model_dir() / "vae.safetensors"));
  EXPECT_FALSE(fs::exists(model_dir() / "vae.safetensors.part"));
}

TEST_F(PullTest, FollowsRedirects) {
  options_.base_url = server_.base_url() + "/moved";
  model_pull(model_, model_dir(), options_);
  EXPECT_EQ(read_all(model_dir() / "dit.safetensors"), big_);
  EXPECT_EQ(count_requests("/moved/org/wan/resolve/main/split/dit.safetensors"), 1);
}

TEST_F(PullTest, CancelKeepsThePartForResume) {
  server_.stall_after = 100000;
  CancelToken cancel;
  options_.cancel = &cancel;
  options_.progress = [&](const Progress& p) {
    if (p.done >= 100000) cancel.cancel();
  };
  try {
    model_pull(model_, model_dir(), options_);
    FAIL() << "expected cancellation";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::cancelled) << e.what();
  }
  EXPECT_EQ(fs::file_size(model_dir() / "dit.safetensors.part"), 100000u);
  options_.cancel = nullptr;
  options_.progress = {};
  model_pull(model_, model_dir(), options_);
  EXPECT_EQ(count_requests("bytes=100000-"), 1);
  EXPECT_EQ(read_all(model_dir() / "dit.safetensors"), big_);
}

TEST_F(PullTest, UnrecordedCompleteFileIsCheckedNotFetchedAgain) {
  fs::create_directories(model_dir());
  write_all(model_dir() / "dit.safetensors", big_);  // copied in by hand: no manifest entry
  DownloadStats s = model_pull(model_, model_dir(), options_);
  EXPECT_EQ(s.bytes_received, 5000);  // only the VAE came over the network
  EXPECT_EQ(count_requests("dit.safetensors bytes=300000-"), 1);
  Json manifest = Json::parse(read_all(model_dir() / kModelManifestName));
  EXPECT_EQ(manifest["files"]["dit.safetensors"]["sha256"], big_sha_);
}

TEST_F(PullTest, ExactSizeMismatchIsAnError) {
  model_.files[0].sha256.clear();
  model_.files[0].bytes = 299999;
  try {
    model_pull(model_, model_dir(), options_);
    FAIL() << "expected a size mismatch";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::unsupported);
    EXPECT_NE(std::string(e.what()).find("size mismatch for dit.safetensors"), std::string::npos)
        << e.what();
  }
}

TEST_F(PullTest, DiskFullIsANamedError) {
  fs::create_directories(model_dir());
  fs::create_symlink("/dev/full", model_dir() / "dit.safetensors.part");
  options_.check_disk_space = false;
  try {
    model_pull(model_, model_dir(), options_);
    FAIL() << "expected disk full";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::internal);
    EXPECT_NE(std::string(e.what()).find("disk full"), std::string::npos) << e.what();
  }
}

TEST_F(PullTest, NotEnoughDiskSpaceIsRefusedBeforeDownloading) {
  model_.files[0].sha256.clear();
  model_.files[0].bytes = int64_t(1) << 60;  // an exabyte
  try {
    model_pull(model_, model_dir(), options_);
    FAIL() << "expected the disk-space check";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::internal);
    EXPECT_NE(std::string(e.what()).find("not enough disk space"), std::string::npos) << e.what();
  }
  EXPECT_TRUE(server_.requests().empty());
}

TEST_F(PullTest, FileUrlMirror) {
  const fs::path hub = dir_ / "hub";
  fs::create_directories(hub / "org/wan/resolve/main/split");
  fs::create_directories(hub / "org/wan/resolve/main/vae");
  write_all(hub / "org/wan/resolve/main/split/dit.safetensors", big_);
  options_.base_url = "file://" + hub.string();
  try {
    model_pull(model_, model_dir(), options_);
    FAIL() << "expected the missing VAE to be reported";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::not_found) << e.what();
    EXPECT_NE(std::string(e.what()).find("vae.safetensors"), std::string::npos) << e.what();
  }
  write_all(hub / "org/wan/resolve/main/vae/vae.safetensors", small_);
  DownloadStats s = model_pull(model_, model_dir(), options_);
  EXPECT_EQ(s.files_already_present, 1);
  EXPECT_EQ(read_all(model_dir() / "vae.safetensors"), small_);
  EXPECT_EQ(model_catalog_status(model_, model_dir()).state, ModelState::installed);
}

TEST_F(PullTest, UnreachableServerIsUnavailable) {
  options_.base_url = "http://127.0.0.1:1";
  try {
    model_pull(model_, model_dir(), options_);
    FAIL() << "expected a network error";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::unavailable);
    EXPECT_NE(std::string(e.what()).find("dit.safetensors"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace kino::gen
