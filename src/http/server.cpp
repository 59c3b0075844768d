#include "http/server.h"

#include <atomic>
// clang-format off
#include <utility>  // first: Boost 1.74's awaitable.hpp uses std::exchange
// clang-format on
#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <functional>
#include <limits>
#include <mutex>
#include <optional>
#include <thread>
#include <unordered_map>

#include "core/error.h"
#include "core/log.h"
#include "http/api_routes.h"
#include "http/byte_range.h"
#include "http/multipart_parser.h"
#include "service/studio.h"

namespace kino::http {
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
namespace net = boost::asio;
using tcp = net::ip::tcp;
using std::chrono::milliseconds;

class Connection;

struct Server::Impl {
  Impl(service::Studio& s, ServerOptions o)
      : studio(s),
        opt(std::move(o)),
        acceptor(net::make_strand(ioc)),
        handlers(size_t(std::max(1, opt.limits.handler_threads))) {}

  void do_accept();
  void add(Connection* c, std::weak_ptr<Connection> w) {
    std::lock_guard lock(conns_mutex);
    conns.emplace(c, std::move(w));
  }
  void remove(Connection* c) {
    std::lock_guard lock(conns_mutex);
    conns.erase(c);
  }

  service::Studio& studio;
  ServerOptions opt;
  net::io_context ioc;
  tcp::acceptor acceptor;
  net::thread_pool handlers;
  // Keeps the I/O threads running while every connection waits on a handler thread and
  // the acceptor is closed (stop()): without it they could run out of work and exit,
  // stranding the replies posted back to them.
  net::executor_work_guard<net::io_context::executor_type> io_work{ioc.get_executor()};
  std::vector<std::thread> threads;
  uint16_t port = 0;
  bool started = false;
  std::atomic<bool> stopping{false};
  std::atomic<int64_t> connections{0};
  std::mutex conns_mutex;
  std::unordered_map<Connection*, std::weak_ptr<Connection>> conns;
  std::mutex state_mutex;
  std::condition_variable state_cv;
  bool stopped = false;
};

namespace {

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out)
    if (c >= 'A' && c <= 'Z') c = char(c - 'A' + 'a');
  return out;
}

const char* reason_of(int status) {
  return bhttp::obsolete_reason(bhttp::int_to_status(unsigned(status))).data();
}

}  // namespace

// One client connection. Every member is touched only from the connection's strand,
// except req_, which a handler thread reads while the connection waits for its reply.
class Connection : public std::enable_shared_from_this<Connection> {
 public:
  Connection(Server::Impl& srv, tcp::socket socket)
      : srv_(srv),
        limits_(srv.opt.limits),
        stream_(std::move(socket)),
        timer_(stream_.get_executor()) {
    ++srv_.connections;
    beast::error_code ec;
    auto ep = stream_.socket().remote_endpoint(ec);
    remote_ip_ = ec ? "unknown" : ep.address().to_string();
    stream_.socket().set_option(tcp::no_delay(true), ec);
  }
  ~Connection() {
    if (file_) std::fclose(file_);
    remove_temp_files();
    srv_.remove(this);
    --srv_.connections;
  }

  void start() {
    srv_.add(this, weak_from_this());
    net::dispatch(stream_.get_executor(), [self = shared_from_this()] { self->read_header(); });
  }

  // Shutdown: a connection waiting for a request is closed now; others finish first.
  void stop_if_idle() {
    net::post(stream_.get_executor(), [self = shared_from_this()] {
      if (self->phase_ == Phase::header) self->close();
    });
  }

 private:
  enum class Phase { header, body, handling, writing };

  void read_header() {
    phase_ = Phase::header;
    if (srv_.stopping) return close();
    header_parser_.emplace();
    header_parser_->header_limit(std::uint32_t(limits_.header_max_bytes));
    header_parser_->body_limit(std::numeric_limits<std::uint64_t>::max());
    stream_.expires_after(milliseconds(limits_.header_timeout_ms));
    bhttp::async_read_header(stream_, buffer_, *header_parser_,
                             beast::bind_front_handler(&Connection::on_header, shared_from_this()));
  }

  void on_header(beast::error_code ec, size_t) {
    if (ec == bhttp::error::header_limit)
      return reply_and_close(api_error(
          ErrorCode::too_large,
          "request headers must be <= " + std::to_string(limits_.header_max_bytes) + " bytes"));
    if (ec == bhttp::error::end_of_stream || ec == beast::error::timeout ||
        ec == net::error::operation_aborted || ec == net::error::eof ||
        ec == net::error::connection_reset)
      return close();
    if (ec)
      return reply_and_close(
          api_error(ErrorCode::bad_request, "malformed HTTP request: " + ec.message()));
    phase_ = Phase::body;
    const auto& h = header_parser_->get();
    req_ = HttpRequest{};
    req_.method = std::string(h.method_string());
    req_.target = std::string(h.target());
    size_t q = req_.target.find('?');
    req_.path = url_decode(std::string_view(req_.target).substr(0, q));
    if (q != std::string::npos)
      req_.query = parse_query(std::string_view(req_.target).substr(q + 1));
    for (const auto& f : h)
      req_.headers.emplace_back(lower(std::string(f.name_string())), std::string(f.value()));
    req_.remote_ip = remote_ip_;
    keep_alive_ = h.keep_alive();
    const auto length = header_parser_->content_length();
    const BodyKind kind = route_body_kind(req_.method, req_.path, req_.header("content-type"));

    if (kind == BodyKind::upload) {
      const int64_t per_file = srv_.studio.config().upload_max_bytes;
      const int64_t body_max =
          int64_t(limits_.upload_max_files) * per_file + limits_.upload_overhead_bytes;
      if (length && int64_t(*length) > body_max)
        return reply_and_close(api_error(
            ErrorCode::too_large, "upload body must be <= " + std::to_string(body_max) +
                                      " bytes (" + std::to_string(limits_.upload_max_files) +
                                      " files of <= " + std::to_string(per_file) +
                                      " bytes), got Content-Length " + std::to_string(*length)));
      if (auto refused = api_upload_precheck(srv_.studio, req_))
        return reply_and_close(std::move(*refused));
      try {
        MultipartLimits ml;
        ml.max_files = limits_.upload_max_files;
        ml.max_file_bytes = per_file;
        multipart_ = std::make_unique<MultipartParser>(
            MultipartParser::boundary_of(req_.header("content-type")), ml,
            [&studio = srv_.studio] { return studio.upload_temp_path(); });
      } catch (const Error& e) {
        return reply_and_close(api_error(e.code(), e.what()));
      }
      upload_parser_.emplace(std::move(*header_parser_));
      upload_parser_->body_limit(std::uint64_t(body_max));
      return continue_then([self = shared_from_this()] { self->read_upload(); });
    }
    const size_t limit =
        kind == BodyKind::json ? limits_.json_body_max_bytes : limits_.small_body_max_bytes;
    if (length && *length > limit)
      return reply_and_close(api_error(
          ErrorCode::too_large, "request body must be <= " + std::to_string(limit) +
                                    " bytes, got Content-Length " + std::to_string(*length)));
    string_parser_.emplace(std::move(*header_parser_));
    string_parser_->body_limit(limit);
    continue_then([self = shared_from_this()] { self->read_body(); });
  }

  // Answers "Expect: 100-continue" before reading a body we intend to accept.
  void continue_then(std::function<void()> next) {
    if (lower(req_.header("expect")) != "100-continue") return next();
    out_ = "HTTP/1.1 100 Continue\r\n\r\n";
    write_out(std::move(next));
  }

  void read_body() {
    stream_.expires_after(milliseconds(limits_.body_timeout_ms));
    bhttp::async_read(stream_, buffer_, *string_parser_,
                      beast::bind_front_handler(&Connection::on_body, shared_from_this()));
  }

  void on_body(beast::error_code ec, size_t) {
    if (ec == bhttp::error::body_limit)
      return reply_and_close(api_error(ErrorCode::too_large, "request body is too large"));
    if (ec) return close();
    req_.body = std::move(string_parser_->get().body());
    string_parser_.reset();
    handle();
  }

  void read_upload() {
    chunk_.resize(limits_.file_chunk_bytes);
    auto& body = upload_parser_->get().body();
    body.data = chunk_.data();
    body.size = chunk_.size();
    stream_.expires_after(milliseconds(limits_.body_timeout_ms));
    bhttp::async_read(stream_, buffer_, *upload_parser_,
                      beast::bind_front_handler(&Connection::on_upload, shared_from_this()));
  }

  void on_upload(beast::error_code ec, size_t) {
    if (ec == bhttp::error::need_buffer) ec = {};
    if (ec == bhttp::error::body_limit)
      return reply_and_close(api_error(ErrorCode::too_large, "upload body is too large"));
    if (ec) return close();
    const size_t got = chunk_.size() - upload_parser_->get().body().size;
    try {
      multipart_->feed(chunk_.data(), got);
      if (upload_parser_->is_done()) {
        multipart_->finish();
        req_.files = multipart_->take_files();
        req_.fields = multipart_->fields();
        multipart_.reset();
        upload_parser_.reset();
        return handle();
      }
    } catch (const Error& e) {
      multipart_.reset();  // removes its temp files
      return reply_and_close(api_error(e.code(), e.what()));
    }
    read_upload();
  }

  void handle() {
    phase_ = Phase::handling;
    // Page files are in memory (or a small read while developing): no handler thread.
    if (srv_.opt.web) {
      if (auto page = srv_.opt.web->serve(req_)) return respond(std::move(*page));
    }
    stream_.expires_never();
    net::post(srv_.handlers, [self = shared_from_this()] {
      auto res =
          std::make_shared<HttpResponse>(api_handle(self->srv_.studio, self->limits_, self->req_));
      net::post(self->stream_.get_executor(), [self, res] { self->respond(std::move(*res)); });
    });
  }

  void reply_and_close(HttpResponse res) {
    res.close = true;
    respond(std::move(res));
  }

  void respond(HttpResponse res) {
    phase_ = Phase::writing;
    remove_temp_files();
    if (res.close || srv_.stopping) keep_alive_ = false;
    if (res.sse) return start_sse(std::move(res.sse));
    if (!res.file.empty()) return start_file(res);
    auto msg = std::make_shared<bhttp::response<bhttp::string_body>>(
        bhttp::int_to_status(unsigned(res.status)), 11);
    msg->set(bhttp::field::server, "kino");
    msg->set(bhttp::field::content_type, res.content_type);
    for (const auto& [k, v] : res.headers) msg->set(k, v);
    if (req_.method != "HEAD") msg->body() = std::move(res.body);
    msg->keep_alive(keep_alive_);
    msg->prepare_payload();
    stream_.expires_after(milliseconds(limits_.write_timeout_ms));
    bhttp::async_write(stream_, *msg,
                       [self = shared_from_this(), msg](beast::error_code ec, size_t) {
                         if (ec) return self->close();
                         self->after_reply();
                       });
  }

  void after_reply() {
    if (keep_alive_ && !srv_.stopping) return read_header();
    graceful_close();
  }

  // ---- files with Range ----
  void start_file(const HttpResponse& res) {
    file_ = std::fopen(res.file.c_str(), "rb");
    if (!file_) return respond(api_error(ErrorCode::not_found, "file no longer exists"));
    std::fseek(file_, 0, SEEK_END);
    const int64_t size = std::ftell(file_);
    ByteRange range{0, size - 1};
    RangeResult rr = byte_range_parse(req_.header("range"), size, &range);
    std::string head;
    int status = 200;
    if (rr == RangeResult::unsatisfiable) {
      status = 416;
      file_left_ = 0;
      head = "Content-Range: bytes */" + std::to_string(size) + "\r\nContent-Length: 0\r\n";
    } else {
      if (rr == RangeResult::whole) range = ByteRange{0, size - 1};
      if (rr == RangeResult::partial) {
        status = 206;
        head = "Content-Range: bytes " + std::to_string(range.first) + "-" +
               std::to_string(range.last) + "/" + std::to_string(size) + "\r\n";
      }
      file_left_ = size > 0 ? range.length() : 0;
      head += "Content-Length: " + std::to_string(file_left_) + "\r\n";
      std::fseek(file_, long(range.first), SEEK_SET);
    }
    if (req_.method == "HEAD") file_left_ = 0;
    out_ = "HTTP/1.1 " + std::to_string(status) + " " + reason_of(status) +
           "\r\nServer: kino\r\nContent-Type: " + res.content_type +
           "\r\nAccept-Ranges: bytes\r\nCache-Control: private, max-age=3600\r\n" +
           (res.file_name.empty()
                ? ""
                : "Content-Disposition: attachment; filename=\"" + res.file_name + "\"\r\n") +
           head + "Connection: " + (keep_alive_ ? "keep-alive" : "close") + "\r\n\r\n";
    write_out([self = shared_from_this()] { self->send_file_chunk(); });
  }

  void send_file_chunk() {
    if (file_left_ <= 0) {
      std::fclose(file_);
      file_ = nullptr;
      return after_reply();
    }
    chunk_.resize(limits_.file_chunk_bytes);
    size_t want = size_t(std::min<int64_t>(file_left_, int64_t(chunk_.size())));
    size_t got = std::fread(chunk_.data(), 1, want, file_);
    if (got == 0) return close();
    file_left_ -= int64_t(got);
    stream_.expires_after(milliseconds(limits_.write_timeout_ms));
    net::async_write(stream_, net::buffer(chunk_.data(), got),
                     [self = shared_from_this()](beast::error_code ec, size_t) {
                       if (ec) return self->close();
                       self->send_file_chunk();
                     });
  }

  // ---- server-sent events ----
  void start_sse(std::unique_ptr<SseSource> source) {
    sse_ = std::move(source);
    keep_alive_ = false;
    sse_started_ = last_write_ = std::chrono::steady_clock::now();
    out_ =
        "HTTP/1.1 200 OK\r\nServer: kino\r\nContent-Type: text/event-stream; charset=utf-8\r\n"
        "Cache-Control: no-cache\r\nX-Accel-Buffering: no\r\nConnection: close\r\n\r\n";
    write_out([self = shared_from_this()] { self->sse_tick(); });
  }

  void sse_tick() {
    std::string chunk;
    bool done = false;
    for (int i = 0; i < 64; ++i) {
      std::string data;
      SsePoll p = SsePoll::done;
      try {
        p = sse_->poll(&data);
      } catch (const std::exception& e) {
        log_error(std::string("event stream: ") + e.what());
      }
      if (p == SsePoll::data) {
        chunk += "data: " + data + "\n\n";
      } else {
        done = p == SsePoll::done;
        break;
      }
    }
    const auto now = std::chrono::steady_clock::now();
    if (chunk.empty() && !done) {
      if (srv_.stopping || now - sse_started_ >= milliseconds(limits_.sse_max_ms))
        done = true;
      else if (now - last_write_ >= milliseconds(limits_.sse_heartbeat_ms))
        chunk = ": heartbeat\n\n";
    }
    if (!chunk.empty()) {
      last_write_ = now;
      out_ = std::move(chunk);
      return write_out([self = shared_from_this(), done] {
        if (done) return self->finish_sse();
        self->sse_wait();
      });
    }
    if (done) return finish_sse();
    sse_wait();
  }

  void sse_wait() {
    timer_.expires_after(milliseconds(limits_.sse_poll_ms));
    timer_.async_wait([self = shared_from_this()](beast::error_code ec) {
      if (ec) return self->close();
      self->sse_tick();
    });
  }

  void finish_sse() {
    sse_.reset();
    graceful_close();
  }

  // ---- plumbing ----
  void write_out(std::function<void()> next) {
    stream_.expires_after(milliseconds(limits_.write_timeout_ms));
    net::async_write(
        stream_, net::buffer(out_),
        [self = shared_from_this(), next = std::move(next)](beast::error_code ec, size_t) {
          if (ec) return self->close();
          next();
        });
  }

  // Half-closes and reads what the client still sends for a moment, so a client that is
  // still uploading a refused body sees the reply instead of a reset.
  void graceful_close() {
    beast::error_code ec;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ec);
    if (ec) return close();
    linger();
  }

  void linger() {
    drain_.resize(16 * 1024);
    stream_.expires_after(milliseconds(2000));
    stream_.async_read_some(net::buffer(drain_),
                            [self = shared_from_this()](beast::error_code ec, size_t n) {
                              self->drained_ += n;
                              if (ec || self->drained_ > 4 * 1024 * 1024) return self->close();
                              self->linger();
                            });
  }

  void close() {
    sse_.reset();
    beast::error_code ec;
    timer_.cancel();
    stream_.socket().shutdown(tcp::socket::shutdown_both, ec);
    stream_.socket().close(ec);
  }

  void remove_temp_files() {
    std::error_code ec;
    for (const auto& f : req_.files) std::filesystem::remove(f.path, ec);
    req_.files.clear();
  }

  Server::Impl& srv_;
  const ServerLimits& limits_;
  beast::tcp_stream stream_;
  net::steady_timer timer_;
  beast::flat_buffer buffer_;
  std::string remote_ip_;
  Phase phase_ = Phase::header;
  bool keep_alive_ = true;
  std::optional<bhttp::request_parser<bhttp::empty_body>> header_parser_;
  std::optional<bhttp::request_parser<bhttp::string_body>> string_parser_;
  std::optional<bhttp::request_parser<bhttp::buffer_body>> upload_parser_;
  std::unique_ptr<MultipartParser> multipart_;
  HttpRequest req_;
  std::vector<char> chunk_;
  std::string out_;
  std::FILE* file_ = nullptr;
  int64_t file_left_ = 0;
  std::unique_ptr<SseSource> sse_;
  std::chrono::steady_clock::time_point sse_started_, last_write_;
  std::vector<char> drain_;
  size_t drained_ = 0;
};

void Server::Impl::do_accept() {
  acceptor.async_accept(net::make_strand(ioc), [this](beast::error_code ec, tcp::socket socket) {
    if (stopping || !acceptor.is_open()) return;
    if (!ec) {
      if (connections >= opt.limits.max_connections) {
        beast::error_code ignored;
        socket.close(ignored);
      } else {
        std::make_shared<Connection>(*this, std::move(socket))->start();
      }
    }
    do_accept();
  });
}

Server::Server(service::Studio& studio, ServerOptions options)
    : impl_(std::make_unique<Impl>(studio, std::move(options))) {}

Server::~Server() {
  stop();
}

void Server::start() {
  Impl& s = *impl_;
  beast::error_code ec;
  auto address = net::ip::make_address(s.opt.host, ec);
  if (ec) fail(ErrorCode::bad_request, "host must be an IP address, got \"" + s.opt.host + "\"");
  tcp::endpoint ep(address, s.opt.port);
  s.acceptor.open(ep.protocol(), ec);
  if (!ec) s.acceptor.set_option(net::socket_base::reuse_address(true), ec);
  if (!ec) s.acceptor.bind(ep, ec);
  if (!ec) s.acceptor.listen(net::socket_base::max_listen_connections, ec);
  if (ec)
    fail(ErrorCode::internal,
         "cannot listen on " + s.opt.host + ":" + std::to_string(s.opt.port) + ": " + ec.message());
  s.port = s.acceptor.local_endpoint().port();
  s.started = true;
  s.do_accept();
  for (int i = 0; i < std::max(1, s.opt.limits.io_threads); ++i)
    s.threads.emplace_back([&s] { s.ioc.run(); });
}

uint16_t Server::port() const {
  return impl_->port;
}
int64_t Server::open_connections() const {
  return impl_->connections;
}

void Server::stop() {
  Impl& s = *impl_;
  if (s.stopping.exchange(true)) {
    wait();
    return;
  }
  if (s.started) {
    net::post(s.acceptor.get_executor(), [&s] {
      beast::error_code ec;
      s.acceptor.close(ec);
    });
    // Collected under the lock, used and dropped outside it: dropping the last reference
    // destroys a connection, which removes itself from `conns`.
    std::vector<std::shared_ptr<Connection>> open;
    {
      std::lock_guard lock(s.conns_mutex);
      for (auto& [ptr, weak] : s.conns)
        if (auto c = weak.lock()) open.push_back(std::move(c));
    }
    for (auto& c : open) c->stop_if_idle();
    open.clear();
    auto deadline = std::chrono::steady_clock::now() + milliseconds(s.opt.limits.shutdown_wait_ms);
    while (s.connections > 0 && std::chrono::steady_clock::now() < deadline)
      std::this_thread::sleep_for(milliseconds(10));
    s.handlers.stop();
    s.handlers.join();
    s.ioc.stop();
    for (auto& t : s.threads) t.join();
    s.threads.clear();
  }
  {
    std::lock_guard lock(s.state_mutex);
    s.stopped = true;
  }
  s.state_cv.notify_all();
}

void Server::wait() {
  std::unique_lock lock(impl_->state_mutex);
  impl_->state_cv.wait(lock, [this] { return impl_->stopped; });
}

}  // namespace kino::http
