// Helpers for tests: free loopback ports, child processes stopped by PID, a blocking HTTP client,
// temporary directories and polling.
#pragma once

#include <chrono>
#include <filesystem>
#include <functional>
#include <map>
#include <string>
#include <vector>

namespace csoc::testing {

// A TCP port on 127.0.0.1 that was free a moment ago.
int FreePort();

// A fresh directory under the system temp dir, removed by the destructor.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

void WriteFile(const std::filesystem::path& path, const std::string& text);
std::string ReadFile(const std::filesystem::path& path);

// A child process with stdout and stderr sent to a log file. The destructor kills it (SIGKILL)
// if it still runs.
class Process {
 public:
  Process(std::vector<std::string> argv, std::filesystem::path log_file,
          std::map<std::string, std::string> extra_env = {});
  ~Process();
  Process(const Process&) = delete;
  Process& operator=(const Process&) = delete;

  int pid() const { return pid_; }
  // Sends `sig`; then waits up to `timeout` for the exit. Returns the exit status as from
  // waitpid's WEXITSTATUS, 128+signal when killed by a signal, or -1 on timeout.
  int Signal(int sig, std::chrono::milliseconds timeout = std::chrono::seconds(10));
  // Waits for the exit without signalling. -1 on timeout.
  int Wait(std::chrono::milliseconds timeout);
  bool Running();
  std::string Log() const;

 private:
  int pid_ = -1;
  bool reaped_ = false;
  int status_ = 0;
  std::filesystem::path log_file_;
};

// Runs a command to its end with standard input from `stdin_file`, standard output and error kept
// apart (through files in `scratch`). `code` is the exit status, 128+signal, or -1 when it ran
// past `timeout` and was killed.
struct CommandResult {
  int code = -1;
  std::string out, err;
  std::string Describe() const;
};
CommandResult RunCommand(const std::vector<std::string>& argv, const std::filesystem::path& scratch,
                         const std::filesystem::path& stdin_file = "/dev/null",
                         std::chrono::milliseconds timeout = std::chrono::seconds(60));

struct HttpResponse {
  int status = 0;  // 0 when the request failed
  std::string body;
  std::map<std::string, std::string> headers;  // lower-case names
  std::string error;
};
HttpResponse HttpGet(const std::string& url, std::chrono::milliseconds timeout = std::chrono::seconds(5));
HttpResponse HttpRequest(const std::string& method, const std::string& url, const std::string& body,
                         std::chrono::milliseconds timeout = std::chrono::seconds(5));
// The same with request header lines ("Name: value"); the answer's headers are in `headers`.
HttpResponse HttpRequest(const std::string& method, const std::string& url, const std::string& body,
                         const std::vector<std::string>& headers,
                         std::chrono::milliseconds timeout = std::chrono::seconds(5));

// Polls `pred` every 50 ms until it is true or `timeout` passes; returns its last value.
bool WaitFor(const std::function<bool()>& pred, std::chrono::milliseconds timeout);

}  // namespace csoc::testing
