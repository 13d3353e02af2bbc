// A tiny HTTP server for the receiver tests: it listens on 127.0.0.1 (a free port), records every
// request (method, target, headers, body) and answers each with a configured status, optional
// extra headers and a body, optionally after a delay (to make a sender time out). In "echo" mode
// the answer's body repeats the request line, headers and body, as a careless server's error page
// might: the worst case for secrets leaking into a delivery detail.
//
// It stands in for Slack, Teams, a Matrix homeserver and a webhook target: the tests check that
// what arrives is exactly what the payload builders produced, not how those services react.
//
// Threading: serves on its own thread, one connection at a time; requests() locks.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>
#include <chrono>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

namespace csoc::alert::testing {

struct SinkRequest {
  std::string method;
  std::string target;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;

  std::string Header(const std::string& name) const {
    for (const auto& [n, v] : headers) {
      if (boost::beast::iequals(n, name)) return v;
    }
    return "";
  }
};

struct SinkAnswer {
  int status = 200;
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;
  bool echo = false;
  std::chrono::milliseconds delay{0};
};

class HttpSink {
 public:
  using Request = SinkRequest;
  using Answer = SinkAnswer;

  explicit HttpSink(Answer answer = {}) : answer_(std::move(answer)) {
    namespace ip = boost::asio::ip;
    acceptor_.open(ip::tcp::v4());
    acceptor_.set_option(ip::tcp::acceptor::reuse_address(true));
    acceptor_.bind(ip::tcp::endpoint(ip::make_address("127.0.0.1"), 0));
    acceptor_.listen();
    port_ = acceptor_.local_endpoint().port();
    Accept();
    thread_ = std::thread([this] { io_.run(); });
  }

  ~HttpSink() {
    io_.stop();
    thread_.join();
  }

  HttpSink(const HttpSink&) = delete;
  HttpSink& operator=(const HttpSink&) = delete;

  int port() const { return port_; }
  std::string base_url() const { return "http://127.0.0.1:" + std::to_string(port_); }

  std::vector<Request> requests() const {
    std::lock_guard lock(mu_);
    return requests_;
  }

 private:
  void Accept() {
    acceptor_.async_accept([this](boost::system::error_code ec, boost::asio::ip::tcp::socket socket) {
      if (ec) return;
      Serve(std::move(socket));
      Accept();
    });
  }

  // Blocking on the sink's own thread: the tests send one request at a time.
  void Serve(boost::asio::ip::tcp::socket socket) {
    namespace http = boost::beast::http;
    boost::beast::flat_buffer buffer;
    http::request<http::string_body> req;
    boost::system::error_code ec;
    http::read(socket, buffer, req, ec);
    if (ec) return;
    Request got{std::string(req.method_string()), std::string(req.target()), {}, req.body()};
    std::string echo = got.method + " " + got.target + "\n";
    for (const auto& field : req.base()) {
      got.headers.emplace_back(std::string(field.name_string()), std::string(field.value()));
      echo += std::string(field.name_string()) + ": " + std::string(field.value()) + "\n";
    }
    echo += got.body;
    Answer answer;
    {
      std::lock_guard lock(mu_);
      requests_.push_back(std::move(got));
      answer = answer_;
    }
    if (answer.delay.count() > 0) std::this_thread::sleep_for(answer.delay);
    http::response<http::string_body> res{static_cast<http::status>(answer.status), 11};
    for (const auto& [name, value] : answer.headers) res.set(name, value);
    res.body() = answer.echo ? echo : answer.body;
    res.keep_alive(false);
    res.prepare_payload();
    http::write(socket, res, ec);
    socket.shutdown(boost::asio::ip::tcp::socket::shutdown_both, ec);
  }

  boost::asio::io_context io_;
  boost::asio::ip::tcp::acceptor acceptor_{io_};
  int port_ = 0;
  std::thread thread_;
  mutable std::mutex mu_;
  Answer answer_;
  std::vector<Request> requests_;
};

}  // namespace csoc::alert::testing
