#include "http/support/http_client.h"

// clang-format off
#include <utility>  // first: Boost 1.74's awaitable.hpp uses std::exchange
// clang-format on
#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <chrono>
#include <fstream>
#include <sstream>

namespace kino::testing {
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
namespace net = boost::asio;
using tcp = net::ip::tcp;

namespace {

beast::tcp_stream connect(net::io_context& ioc, const std::string& host, uint16_t port,
                          int timeout_ms) {
  beast::tcp_stream stream(ioc);
  stream.expires_after(std::chrono::milliseconds(timeout_ms));
  stream.connect(tcp::endpoint(net::ip::make_address(host), port));
  return stream;
}

bhttp::request<bhttp::string_body> make_request(const std::string& method,
                                                const std::string& target, const Headers& headers,
                                                const std::string& body, const std::string& host) {
  bhttp::request<bhttp::string_body> req;
  req.method_string(method);
  req.target(target);
  req.version(11);
  req.set(bhttp::field::host, host);
  for (const auto& [k, v] : headers) req.set(k, v);
  req.body() = body;
  req.keep_alive(false);
  req.prepare_payload();
  return req;
}

}  // namespace

ClientResponse HttpClient::request(const std::string& method, const std::string& target,
                                   const Headers& headers, const std::string& body,
                                   int timeout_ms) {
  net::io_context ioc;
  auto stream = connect(ioc, host_, port_, timeout_ms);
  auto req = make_request(method, target, headers, body, host_ + ":" + std::to_string(port_));
  bhttp::write(stream, req);
  beast::flat_buffer buffer;
  bhttp::response_parser<bhttp::string_body> parser;
  parser.body_limit(1ull << 32);
  if (method == "HEAD") parser.skip(true);
  bhttp::read(stream, buffer, parser);
  auto res = parser.release();
  ClientResponse out;
  out.status = int(res.result_int());
  for (const auto& f : res) {
    std::string name(f.name_string());
    for (char& c : name) c = char(std::tolower(static_cast<unsigned char>(c)));
    out.headers[name] = std::string(f.value());
  }
  out.body = std::move(res.body());
  beast::error_code ec;
  stream.socket().shutdown(tcp::socket::shutdown_both, ec);
  return out;
}

ClientResponse HttpClient::post_files(const std::string& target, const std::vector<FilePart>& files,
                                      Headers headers) {
  const std::string boundary = "----kinotestboundary7MA4YWxkTrZu0gW";
  headers.emplace_back("Content-Type", "multipart/form-data; boundary=" + boundary);
  return request("POST", target, headers, multipart_body(boundary, files), 60000);
}

SseResult HttpClient::sse(const std::string& target, const Json& body, const Headers& headers,
                          int max_events, int timeout_ms) {
  net::io_context ioc;
  auto stream = connect(ioc, host_, port_, timeout_ms);
  Headers h = headers;
  h.emplace_back("Content-Type", "application/json");
  h.emplace_back("Accept", "text/event-stream");
  auto req = make_request("POST", target, h, body.dump(), host_ + ":" + std::to_string(port_));
  bhttp::write(stream, req);
  SseResult out;
  std::string data;
  char buf[8192];
  size_t header_end = std::string::npos, pos = 0;
  for (;;) {
    beast::error_code ec;
    size_t n = stream.read_some(net::buffer(buf), ec);
    data.append(buf, n);
    if (header_end == std::string::npos) {
      header_end = data.find("\r\n\r\n");
      if (header_end != std::string::npos) {
        out.status = std::stoi(data.substr(9, 3));
        pos = header_end + 4;
      }
    }
    if (header_end != std::string::npos) {
      for (size_t end; (end = data.find("\n\n", pos)) != std::string::npos; pos = end + 2) {
        std::string block = data.substr(pos, end - pos);
        if (block.rfind("data: ", 0) == 0)
          out.events.push_back(Json::parse(block.substr(6), nullptr, false));
        else if (block.rfind(":", 0) == 0)
          ++out.heartbeats;
      }
      if (out.status != 200) {
        // An error reply is JSON, not a stream.
        if (ec) break;
        continue;
      }
      if (max_events >= 0 && int(out.events.size()) >= max_events) break;
    }
    if (ec) {
      out.closed_by_server = ec == net::error::eof;
      break;
    }
  }
  if (out.status != 200 && header_end != std::string::npos)
    out.events.push_back(Json::parse(data.substr(header_end + 4), nullptr, false));
  beast::error_code ec;
  stream.socket().shutdown(tcp::socket::shutdown_both, ec);
  stream.socket().close(ec);
  return out;
}

std::string HttpClient::raw(const std::string& bytes, int timeout_ms) {
  net::io_context ioc;
  auto stream = connect(ioc, host_, port_, timeout_ms);
  net::write(stream, net::buffer(bytes));
  std::string out;
  char buf[8192];
  for (;;) {
    beast::error_code ec;
    size_t n = stream.read_some(net::buffer(buf), ec);
    out.append(buf, n);
    if (ec) break;
  }
  return out;
}

std::string multipart_body(const std::string& boundary, const std::vector<FilePart>& parts) {
  std::string body;
  for (const auto& p : parts) {
    body += "--" + boundary + "\r\n";
    body += "Content-Disposition: form-data; name=\"" + p.field + "\"; filename=\"" + p.filename +
            "\"\r\n";
    body += "Content-Type: " + p.content_type + "\r\n\r\n";
    body += p.content + "\r\n";
  }
  body += "--" + boundary + "--\r\n";
  return body;
}

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace kino::testing
