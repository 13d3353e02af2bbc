#include "config/config.h"

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <set>
#include <sstream>
#include <system_error>
#include <tuple>

#include "config/loader.h"

namespace csoc::config {

std::string ConfigError::ToString() const {
  if (line <= 0) return fmt::format("{}: {}", file, message);
  return fmt::format("{}:{}:{}: {}", file, line, column, message);
}

EnvLookup ProcessEnvironment() {
  return [](const std::string& name) -> std::optional<std::string> {
    const char* value = std::getenv(name.c_str());
    if (value == nullptr) return std::nullopt;
    return std::string(value);
  };
}

namespace {

void ParseText(Loader& loader, Source& src, const std::string& text) {
  std::vector<YAML::Node> documents;
  try {
    documents = YAML::LoadAll(text);
  } catch (const YAML::ParserException& e) {
    src.Error(e.mark, "YAML syntax error: " + e.msg);
    return;
  } catch (const YAML::Exception& e) {
    src.Error(e.mark, "cannot read YAML: " + e.msg);
    return;
  }
  for (const YAML::Node& doc : documents) loader.AddDocument(src, doc);
}

bool IsConfigFile(const std::filesystem::directory_entry& entry) {
  std::string name = entry.path().filename().string();
  std::string ext = entry.path().extension().string();
  std::error_code ec;
  // Hidden files are skipped like a shell's *.yaml would (editors keep swap files there).
  return !name.empty() && name[0] != '.' && (ext == ".yaml" || ext == ".yml") && entry.is_regular_file(ec);
}

// Sorts by file (in merge order), then position, and drops repeats: a node reached through several
// YAML aliases would otherwise report the same problem once per alias.
void Tidy(std::vector<ConfigError>& errors, const std::vector<std::string>& order) {
  auto rank = [&](const std::string& file) {
    return static_cast<size_t>(std::find(order.begin(), order.end(), file) - order.begin());
  };
  std::stable_sort(errors.begin(), errors.end(), [&](const ConfigError& a, const ConfigError& b) {
    return std::tuple(rank(a.file), a.line, a.column) < std::tuple(rank(b.file), b.line, b.column);
  });
  std::set<std::tuple<std::string, int, int, std::string>> seen;
  std::vector<ConfigError> unique;
  for (ConfigError& e : errors) {
    if (seen.emplace(e.file, e.line, e.column, e.message).second) unique.push_back(std::move(e));
  }
  errors = std::move(unique);
}

// `loader` reports into result.errors.
void Finish(Loader& loader, LoadResult& result, const std::string& config_name) {
  result.fleet = loader.Build(config_name);
  std::vector<std::string> order;
  for (const auto& f : result.files) order.push_back(f.string());
  Tidy(result.errors, order);
  if (!result.errors.empty()) result.fleet.reset();
}

}  // namespace

LoadResult LoadFleet(const std::filesystem::path& path, const EnvLookup& env) {
  LoadResult result;
  Loader loader(env, &result.errors);
  std::error_code ec;
  std::filesystem::file_status status = std::filesystem::status(path, ec);
  if (ec || !std::filesystem::exists(status)) {
    result.errors.push_back(ConfigError{path.string(), 0, 0, "no such file or directory"});
    return result;
  }
  if (std::filesystem::is_directory(status)) {
    std::filesystem::directory_iterator it(path, ec);
    for (; !ec && it != std::filesystem::directory_iterator(); it.increment(ec)) {
      if (IsConfigFile(*it)) result.files.push_back(it->path());
    }
    if (ec) {
      result.errors.push_back(ConfigError{path.string(), 0, 0, "cannot list the directory: " + ec.message()});
      return result;
    }
    std::sort(result.files.begin(), result.files.end(),
              [](const auto& a, const auto& b) { return a.filename() < b.filename(); });
    if (result.files.empty()) {
      result.errors.push_back(ConfigError{path.string(), 0, 0, "no *.yaml or *.yml files in this directory"});
      return result;
    }
  } else {
    result.files.push_back(path);
  }
  for (const std::filesystem::path& file : result.files) {
    Source& src = loader.AddSource(file.string(), file.parent_path());
    std::ifstream in(file, std::ios::binary);
    std::stringstream text;
    text << in.rdbuf();
    if (!in || in.bad()) {
      result.errors.push_back(ConfigError{file.string(), 0, 0, std::string("cannot read: ") + std::strerror(errno)});
      continue;
    }
    ParseText(loader, src, text.str());
  }
  Finish(loader, result, path.string());
  return result;
}

LoadResult LoadFleetFromString(const std::string& yaml, const std::string& name, const EnvLookup& env) {
  LoadResult result;
  Loader loader(env, &result.errors);
  result.files.push_back(name);
  // Relative file references stay relative to the working directory: there is no file to anchor them.
  Source& src = loader.AddSource(name, std::filesystem::path());
  ParseText(loader, src, yaml);
  Finish(loader, result, name);
  return result;
}

}  // namespace csoc::config
