// The real `csoc token` CLI: create prints the secret once on stdout and the database keeps only
// its SHA-256; list never shows a secret; refusals (duplicate live name, unknown scope, bad
// --expires, unknown name to revoke, no data directory) exit 2 with a message; --config uses the
// fleet's settings.data_dir. End to end with `csoc serve`: a created token authorises a write, a
// revoke while the server runs takes effect at once, and the server never logs a secret.
// Processes are stopped by PID.
#include <fcntl.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cstdint>
#include <cstring>
#include <nlohmann/json.hpp>
#include <regex>
#include <sstream>
#include <thread>

#include "core/time.h"
#include "support/support.h"

extern char** environ;

namespace csoc {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;
using ::testing::HasSubstr;
using testing::HttpGet;
using testing::HttpRequest;
using ::testing::Not;
using testing::Process;
using testing::ReadFile;
using testing::TempDir;
using testing::WaitFor;
using testing::WriteFile;

// ---- SHA-256 (FIPS 180-4), to find the stored hash without linking the auth area ----

std::string Sha256Hex(std::string_view data) {
  static constexpr std::array<uint32_t, 64> k = {
      0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
      0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
      0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
      0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
      0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
      0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
      0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
      0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2};
  std::array<uint32_t, 8> h = {0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
                               0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19};
  std::string msg(data);
  uint64_t bits = static_cast<uint64_t>(data.size()) * 8;
  msg += static_cast<char>(0x80);
  while (msg.size() % 64 != 56) msg += '\0';
  for (int i = 7; i >= 0; --i) msg += static_cast<char>((bits >> (i * 8)) & 0xff);
  auto rotr = [](uint32_t x, int n) { return (x >> n) | (x << (32 - n)); };
  for (size_t chunk = 0; chunk < msg.size(); chunk += 64) {
    std::array<uint32_t, 64> w{};
    for (int i = 0; i < 16; ++i) {
      for (int b = 0; b < 4; ++b) w[i] = (w[i] << 8) | static_cast<unsigned char>(msg[chunk + i * 4 + b]);
    }
    for (int i = 16; i < 64; ++i) {
      uint32_t s0 = rotr(w[i - 15], 7) ^ rotr(w[i - 15], 18) ^ (w[i - 15] >> 3);
      uint32_t s1 = rotr(w[i - 2], 17) ^ rotr(w[i - 2], 19) ^ (w[i - 2] >> 10);
      w[i] = w[i - 16] + s0 + w[i - 7] + s1;
    }
    std::array<uint32_t, 8> v = h;
    for (int i = 0; i < 64; ++i) {
      uint32_t s1 = rotr(v[4], 6) ^ rotr(v[4], 11) ^ rotr(v[4], 25);
      uint32_t ch = (v[4] & v[5]) ^ (~v[4] & v[6]);
      uint32_t t1 = v[7] + s1 + ch + k[i] + w[i];
      uint32_t s0 = rotr(v[0], 2) ^ rotr(v[0], 13) ^ rotr(v[0], 22);
      uint32_t maj = (v[0] & v[1]) ^ (v[0] & v[2]) ^ (v[1] & v[2]);
      uint32_t t2 = s0 + maj;
      v = {t1 + t2, v[0], v[1], v[2], v[3] + t1, v[4], v[5], v[6]};
    }
    for (int i = 0; i < 8; ++i) h[i] += v[i];
  }
  std::string out;
  static constexpr char kHex[] = "0123456789abcdef";
  for (uint32_t x : h) {
    for (int i = 28; i >= 0; i -= 4) out += kHex[(x >> i) & 0xf];
  }
  return out;
}

TEST(TokenCliSha256, KnownVectors) {
  EXPECT_EQ(Sha256Hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(Sha256Hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(Sha256Hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"),
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
}

// ---- Running the CLI with stdout and stderr apart ----

struct CliResult {
  int code = -1;  // exit status; 128+signal; -1 when it had to be killed
  std::string out, err;
  std::string Describe() const { return "exit " + std::to_string(code) + "\nstdout:\n" + out + "stderr:\n" + err; }
};

CliResult RunCsoc(const std::filesystem::path& scratch, const std::vector<std::string>& args) {
  static int counter = 0;
  std::string tag = std::to_string(++counter);
  std::filesystem::path out_file = scratch / ("cli-" + tag + ".out"), err_file = scratch / ("cli-" + tag + ".err");
  std::vector<std::string> argv_s = {CSOC_BINARY};
  argv_s.insert(argv_s.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (auto& a : argv_s) argv.push_back(a.data());
  argv.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&actions, 1, out_file.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  posix_spawn_file_actions_addopen(&actions, 2, err_file.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  pid_t pid = -1;
  int rc = posix_spawn(&pid, argv[0], &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  CliResult r;
  if (rc != 0) {
    r.err = "posix_spawn failed: " + std::string(strerror(rc));
    return r;
  }
  int status = 0;
  auto deadline = std::chrono::steady_clock::now() + 20s;
  for (;;) {
    pid_t done = waitpid(pid, &status, WNOHANG);
    if (done == pid) break;
    if (std::chrono::steady_clock::now() > deadline) {
      kill(pid, SIGKILL);
      waitpid(pid, &status, 0);
      status = -1;
      break;
    }
    std::this_thread::sleep_for(5ms);
  }
  if (status == -1) {
    r.code = -1;
  } else if (WIFEXITED(status)) {
    r.code = WEXITSTATUS(status);
  } else if (WIFSIGNALED(status)) {
    r.code = 128 + WTERMSIG(status);
  }
  r.out = ReadFile(out_file);
  r.err = ReadFile(err_file);
  return r;
}

const std::regex kSecretLine(R"(^csoc_[0-9a-f]{48}\n$)");
const std::regex kAnySecret(R"(csoc_[0-9a-f]{8,})");

// Every byte SQLite keeps for the database: the file and, if present, its write-ahead log.
std::string DatabaseBytes(const std::filesystem::path& data_dir) {
  std::string bytes;
  for (const char* suffix : {"", "-wal", "-journal"}) {
    std::filesystem::path p = data_dir / (std::string("csoc.db") + suffix);
    if (std::filesystem::exists(p)) bytes += ReadFile(p);
  }
  return bytes;
}

// One row of `token list`: NAME SCOPES STATE CREATED EXPIRES.
struct ListRow {
  std::string name, scopes, state, created, expires;
};

std::vector<ListRow> ParseList(const std::string& out) {
  std::vector<ListRow> rows;
  std::istringstream lines(out);
  std::string line;
  bool header = true;
  while (std::getline(lines, line)) {
    if (header) {
      header = false;
      continue;
    }
    std::istringstream fields(line);
    ListRow row;
    fields >> row.name >> row.scopes >> row.state >> row.created >> row.expires;
    rows.push_back(row);
  }
  return rows;
}

class TokenCliTest : public ::testing::Test {
 protected:
  CliResult Csoc(std::vector<std::string> args) { return RunCsoc(dir_.path(), args); }
  // `csoc token create` in data_dir_ with the given extra arguments; asserts success and returns the secret.
  std::string Create(const std::string& name, std::vector<std::string> extra = {"--scope", "status:write"}) {
    std::vector<std::string> args = {"token", "create", "--data-dir", data_dir_.string(), "--name", name};
    args.insert(args.end(), extra.begin(), extra.end());
    CliResult r = Csoc(args);
    EXPECT_EQ(r.code, 0) << r.Describe();
    EXPECT_TRUE(std::regex_match(r.out, kSecretLine)) << r.Describe();
    return r.out.empty() ? "" : r.out.substr(0, r.out.size() - 1);
  }
  CliResult List() { return Csoc({"token", "list", "--data-dir", data_dir_.string()}); }
  CliResult Revoke(const std::string& name) {
    return Csoc({"token", "revoke", "--data-dir", data_dir_.string(), "--name", name});
  }

  TempDir dir_;
  std::filesystem::path data_dir_ = dir_.path() / "data";
};

TEST_F(TokenCliTest, CreatePrintsOnlyTheTokenAndTheDatabaseKeepsOnlyItsHash) {
  std::filesystem::create_directories(data_dir_);
  CliResult r = Csoc({"token", "create", "--data-dir", data_dir_.string(), "--name", "ci", "--scope", "status:write"});
  ASSERT_EQ(r.code, 0) << r.Describe();
  ASSERT_TRUE(std::regex_match(r.out, kSecretLine))
      << "stdout must be exactly the token and a newline: " << r.Describe();
  std::string secret = r.out.substr(0, r.out.size() - 1);
  // The explanation goes to stderr, so that `TOKEN=$(csoc token create ...)` captures only the token.
  EXPECT_THAT(r.err, HasSubstr("created token 'ci'"));
  EXPECT_THAT(r.err, HasSubstr("does not expire"));
  EXPECT_THAT(r.err, Not(HasSubstr(secret)));

  std::string db = DatabaseBytes(data_dir_);
  ASSERT_FALSE(db.empty());
  EXPECT_EQ(db.find(secret), std::string::npos) << "the secret is stored in the database";
  EXPECT_EQ(db.find(secret.substr(5)), std::string::npos) << "the secret's hex part is stored in the database";
  EXPECT_NE(db.find(Sha256Hex(secret)), std::string::npos) << "the SHA-256 of the token is not stored";

  // A second token is another secret.
  std::string other = Create("other");
  EXPECT_NE(other, secret);
  db = DatabaseBytes(data_dir_);
  EXPECT_EQ(db.find(other), std::string::npos);
  EXPECT_NE(db.find(Sha256Hex(other)), std::string::npos);
}

TEST_F(TokenCliTest, CreateCreatesTheDataDirectory) {
  // The data directory does not exist yet: csoc serve would create it, and so does token create.
  std::string secret = Create("first");
  EXPECT_TRUE(std::filesystem::exists(data_dir_ / "csoc.db"));
}

TEST_F(TokenCliTest, ListShowsNameScopesStateAndExpiryButNeverASecret) {
  CliResult empty = List();
  EXPECT_EQ(empty.code, 0) << empty.Describe();
  EXPECT_THAT(empty.out, HasSubstr("no tokens"));

  std::vector<std::string> secrets;
  secrets.push_back(Create("plain"));
  secrets.push_back(Create("both", {"--scope", "status:write", "--scope", "admin", "--expires", "90d"}));
  secrets.push_back(Create("short", {"--scope", "admin", "--expires", "1ms"}));
  secrets.push_back(Create("gone"));
  ASSERT_EQ(Revoke("gone").code, 0);
  TimePoint after_create = Clock::now();
  std::this_thread::sleep_for(5ms);  // "short" has expired by now

  CliResult r = List();
  ASSERT_EQ(r.code, 0) << r.Describe();
  for (const std::string& s : secrets) {
    EXPECT_THAT(r.out, Not(HasSubstr(s)));
    EXPECT_THAT(r.out, Not(HasSubstr(s.substr(5))));
    EXPECT_THAT(r.out, Not(HasSubstr(Sha256Hex(s)))) << "list shows a token's hash";
    EXPECT_THAT(r.err, Not(HasSubstr(s)));
  }
  EXPECT_FALSE(std::regex_search(r.out, kAnySecret)) << r.out;
  EXPECT_THAT(r.out.substr(0, r.out.find('\n')), ::testing::MatchesRegex("NAME +SCOPES +STATE +CREATED +EXPIRES *"));

  std::vector<ListRow> rows = ParseList(r.out);
  ASSERT_EQ(rows.size(), 4u) << r.out;
  EXPECT_EQ(rows[0].name, "plain");
  EXPECT_EQ(rows[0].scopes, "status:write");
  EXPECT_EQ(rows[0].state, "active");
  EXPECT_EQ(rows[0].expires, "never");
  EXPECT_EQ(rows[1].name, "both");
  EXPECT_EQ(rows[1].scopes, "status:write,admin");
  EXPECT_EQ(rows[1].state, "active");
  std::optional<TimePoint> expires = ParseIso8601(rows[1].expires);
  ASSERT_TRUE(expires) << rows[1].expires;
  EXPECT_LT(std::chrono::abs(*expires - (after_create + std::chrono::hours(24 * 90))), 1min) << rows[1].expires;
  std::optional<TimePoint> created = ParseIso8601(rows[1].created);
  ASSERT_TRUE(created) << rows[1].created;
  EXPECT_LT(std::chrono::abs(*created - after_create), 1min) << rows[1].created;
  EXPECT_EQ(rows[2].name, "short");
  EXPECT_EQ(rows[2].scopes, "admin");
  EXPECT_EQ(rows[2].state, "expired");
  EXPECT_EQ(rows[3].name, "gone");
  EXPECT_EQ(rows[3].state, "revoked");
}

TEST_F(TokenCliTest, DuplicateLiveNameIsRefused) {
  std::string first = Create("ci");
  CliResult r = Csoc({"token", "create", "--data-dir", data_dir_.string(), "--name", "ci", "--scope", "admin"});
  EXPECT_EQ(r.code, 2) << r.Describe();
  EXPECT_EQ(r.out, "") << "no token on stdout when none was created";
  EXPECT_THAT(r.err, HasSubstr("'ci' already exists"));
  std::vector<ListRow> rows = ParseList(List().out);
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].scopes, "status:write") << "the first token is unchanged";
}

TEST_F(TokenCliTest, UnknownScopeIsRefusedNamingTheKnownOnes) {
  CliResult r = Csoc({"token", "create", "--data-dir", data_dir_.string(), "--name", "ci", "--scope", "status:read"});
  EXPECT_EQ(r.code, 2) << r.Describe();
  EXPECT_EQ(r.out, "");
  EXPECT_THAT(r.err, HasSubstr("unknown scope 'status:read'"));
  EXPECT_THAT(r.err, HasSubstr("status:write"));
  EXPECT_THAT(r.err, HasSubstr("admin"));
  // One bad scope among good ones refuses the whole token.
  r = Csoc(
      {"token", "create", "--data-dir", data_dir_.string(), "--name", "ci", "--scope", "admin", "--scope", "root"});
  EXPECT_EQ(r.code, 2) << r.Describe();
  EXPECT_THAT(r.err, HasSubstr("unknown scope 'root'"));
  EXPECT_THAT(List().out, HasSubstr("no tokens"));
}

TEST_F(TokenCliTest, MissingScopeOrNameIsRefused) {
  CliResult r = Csoc({"token", "create", "--data-dir", data_dir_.string(), "--name", "ci"});
  EXPECT_NE(r.code, 0) << r.Describe();
  EXPECT_THAT(r.err, HasSubstr("--scope"));
  r = Csoc({"token", "create", "--data-dir", data_dir_.string(), "--scope", "admin"});
  EXPECT_NE(r.code, 0) << r.Describe();
  EXPECT_THAT(r.err, HasSubstr("--name"));
  r = Csoc({"token", "create", "--data-dir", data_dir_.string(), "--name", "has space", "--scope", "admin"});
  EXPECT_EQ(r.code, 2) << r.Describe();
  EXPECT_EQ(r.out, "");
  EXPECT_THAT(r.err, HasSubstr("only letters, digits"));
}

TEST_F(TokenCliTest, BadExpiresIsRefused) {
  for (const std::string bad : {"soon", "0s", "-5m", "90", "1y"}) {
    CliResult r = Csoc(
        {"token", "create", "--data-dir", data_dir_.string(), "--name", "ci", "--scope", "admin", "--expires=" + bad});
    EXPECT_EQ(r.code, 2) << bad << ": " << r.Describe();
    EXPECT_EQ(r.out, "") << bad;
    EXPECT_THAT(r.err, HasSubstr("--expires")) << bad;
  }
  EXPECT_THAT(List().out, HasSubstr("no tokens"));
}

TEST_F(TokenCliTest, RevokeOfAnUnknownNameExits2) {
  CliResult r = Revoke("nobody");
  EXPECT_EQ(r.code, 2) << r.Describe();
  EXPECT_THAT(r.err, HasSubstr("'nobody'"));
  Create("once");
  ASSERT_EQ(Revoke("once").code, 0);
  r = Revoke("once");
  EXPECT_EQ(r.code, 2) << "a revoked token cannot be revoked again: " << r.Describe();
  EXPECT_THAT(r.err, HasSubstr("'once'"));
}

TEST_F(TokenCliTest, AfterRevokeTheNameCanBeReused) {
  std::string old_secret = Create("ci");
  CliResult r = Revoke("ci");
  ASSERT_EQ(r.code, 0) << r.Describe();
  EXPECT_EQ(r.out, "revoked token 'ci'\n");
  std::string new_secret = Create("ci", {"--scope", "admin"});
  EXPECT_NE(new_secret, old_secret);
  std::vector<ListRow> rows = ParseList(List().out);
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0].name, "ci");
  EXPECT_EQ(rows[0].state, "revoked");
  EXPECT_EQ(rows[1].name, "ci");
  EXPECT_EQ(rows[1].state, "active");
  EXPECT_EQ(rows[1].scopes, "admin");
}

TEST_F(TokenCliTest, WithoutDataDirOrConfigItSaysWhatToPass) {
  for (std::vector<std::string> args : {std::vector<std::string>{"token", "list"},
                                        {"token", "create", "--name", "ci", "--scope", "admin"},
                                        {"token", "revoke", "--name", "ci"}}) {
    CliResult r = Csoc(args);
    EXPECT_EQ(r.code, 2) << args[1] << ": " << r.Describe();
    EXPECT_EQ(r.out, "") << args[1];
    EXPECT_THAT(r.err, HasSubstr("--data-dir")) << args[1];
    EXPECT_THAT(r.err, HasSubstr("--config")) << args[1];
  }
}

TEST_F(TokenCliTest, ConfigUsesItsDataDir) {
  std::filesystem::path from_config = dir_.path() / "from-config";
  std::filesystem::path fleet = dir_.path() / "fleet.yaml";
  WriteFile(fleet, "settings:\n  data_dir: \"" + from_config.string() +
                       "\"\nenvironments:\n  - name: prod\n    cluster: east\n    services:\n      - name: db\n"
                       "        checks:\n          - {name: tcp, type: tcp, host: 127.0.0.1, port: 9}\n");
  CliResult r = Csoc({"token", "create", "--config", fleet.string(), "--name", "ci", "--scope", "status:write"});
  ASSERT_EQ(r.code, 0) << r.Describe();
  ASSERT_TRUE(std::regex_match(r.out, kSecretLine)) << r.Describe();
  EXPECT_TRUE(std::filesystem::exists(from_config / "csoc.db"));
  EXPECT_NE(DatabaseBytes(from_config).find(Sha256Hex(r.out.substr(0, r.out.size() - 1))), std::string::npos);

  r = Csoc({"token", "list", "--config", fleet.string()});
  ASSERT_EQ(r.code, 0) << r.Describe();
  std::vector<ListRow> rows = ParseList(r.out);
  ASSERT_EQ(rows.size(), 1u) << r.out;
  EXPECT_EQ(rows[0].name, "ci");

  r = Csoc({"token", "revoke", "--config", fleet.string(), "--name", "ci"});
  EXPECT_EQ(r.code, 0) << r.Describe();

  // A config with errors is reported as such and nothing is done.
  WriteFile(fleet, "settings: {data_dir: x, colour: blue}\n");
  r = Csoc({"token", "list", "--config", fleet.string()});
  EXPECT_EQ(r.code, 2) << r.Describe();
  EXPECT_THAT(r.err, HasSubstr("unknown key 'colour'"));
}

// ---- End to end with csoc serve ----

TEST_F(TokenCliTest, ServeAcceptsACreatedTokenAndRefusesItOnceRevoked) {
  std::filesystem::path config = dir_.path() / "fleet.yaml";
  WriteFile(config,
            "environments:\n  - name: prod\n    cluster: east\n    services:\n      - name: db\n"
            "        checks:\n          - {name: tcp, type: tcp, host: 127.0.0.1, port: " +
                std::to_string(testing::FreePort()) + "}\n");
  std::string secret = Create("operator");
  std::string unused = Create("bystander");

  int port = testing::FreePort();
  std::string base = "http://127.0.0.1:" + std::to_string(port);
  Process server({CSOC_BINARY, "serve", "--config", config.string(), "--listen", "127.0.0.1:" + std::to_string(port),
                  "--data-dir", data_dir_.string()},
                 dir_.path() / "serve.log");
  ASSERT_TRUE(WaitFor([&] { return HttpGet(base + "/readyz").status == 200; }, 20s)) << server.Log();

  const std::string url = base + "/status-api/v1/components";
  const std::string body = R"({"displayName": "Object storage", "labels": {}})";
  const std::string json_type = "Content-Type: application/json";

  // Without a token, with an unknown one: 401 with a JSON message.
  for (const std::vector<std::string>& headers :
       {std::vector<std::string>{json_type},
        {json_type, "Authorization: Bearer csoc_000000000000000000000000000000000000000000000000"}}) {
    testing::HttpResponse r = HttpRequest("POST", url, body, headers);
    EXPECT_EQ(r.status, 401) << r.body;
    json j = json::parse(r.body, nullptr, false);
    ASSERT_TRUE(j.is_object()) << r.body;
    EXPECT_TRUE(j["message"].is_string() && !j["message"].get<std::string>().empty()) << r.body;
  }

  testing::HttpResponse created = HttpRequest("POST", url, body, {json_type, "Authorization: Bearer " + secret});
  ASSERT_EQ(created.status, 201) << created.body << "\n" << server.Log();
  json component = json::parse(created.body, nullptr, false);
  ASSERT_TRUE(component.is_object()) << created.body;
  EXPECT_TRUE(component["id"].is_string()) << created.body;

  // Revoked from the CLI while the server runs: the very next request is refused.
  CliResult revoked = Revoke("operator");
  ASSERT_EQ(revoked.code, 0) << revoked.Describe();
  testing::HttpResponse refused = HttpRequest("POST", url, body, {json_type, "Authorization: Bearer " + secret});
  EXPECT_EQ(refused.status, 401) << refused.body;
  EXPECT_THAT(refused.headers["content-type"], HasSubstr("application/json"));
  json message = json::parse(refused.body, nullptr, false);
  ASSERT_TRUE(message.is_object()) << refused.body;
  ASSERT_TRUE(message["message"].is_string()) << refused.body;
  EXPECT_THAT(message["message"].get<std::string>(), HasSubstr("revoked"));
  EXPECT_THAT(refused.body, Not(HasSubstr(secret))) << "the answer must not echo the token";
  // Nothing was created by the refused request.
  testing::HttpResponse listed = HttpGet(url);
  ASSERT_EQ(listed.status, 200) << listed.body;
  json components = json::parse(listed.body, nullptr, false);
  ASSERT_TRUE(components.is_object() && components["data"].is_array()) << listed.body;
  EXPECT_EQ(components["data"].size(), 1u) << listed.body;

  // A malformed header and a wrong scheme do not leak the token either.
  HttpRequest("POST", url, body, {json_type, "Authorization: Basic " + secret});
  HttpRequest("POST", url, body, {json_type, "Authorization: Bearer " + secret + "x"});

  EXPECT_EQ(server.Signal(SIGTERM), 0) << server.Log();
  std::string log = server.Log();
  EXPECT_THAT(log, Not(HasSubstr(secret.substr(5)))) << "the server log contains the token";
  EXPECT_THAT(log, Not(HasSubstr(unused.substr(5))));
  EXPECT_FALSE(std::regex_search(log, kAnySecret)) << log;
}

}  // namespace
}  // namespace csoc
