// The logs tables in csoc's SQLite database. All of the logs area's SQL is here.
#include <array>
#include <map>
#include <nlohmann/json.hpp>
#include <tuple>
#include <zlib.h>

#include "logs/store.h"
#include "store/sqlite_area.h"

namespace csoc::logs {
namespace {

using store::sqlite::Db;
using store::sqlite::ScopedReset;
using store::sqlite::Stmt;
using store::sqlite::Transaction;

// Append-only (see store/sqlite_area.h).
constexpr std::array<std::string_view, 1> kMigrations = {
    R"sql(
CREATE TABLE logs_aggregates(
  resolution INTEGER NOT NULL,
  environment TEXT NOT NULL,
  bucket_ms INTEGER NOT NULL,
  data BLOB NOT NULL,
  PRIMARY KEY(resolution, environment, bucket_ms)
) WITHOUT ROWID;
CREATE INDEX logs_aggregates_by_time ON logs_aggregates(resolution, bucket_ms);
CREATE TABLE logs_positions(
  source TEXT PRIMARY KEY,
  file_id TEXT NOT NULL,
  byte_offset INTEGER NOT NULL,
  line INTEGER NOT NULL
);
CREATE TABLE logs_source_errors(
  source TEXT PRIMARY KEY,
  counts TEXT NOT NULL,
  lines INTEGER NOT NULL,
  samples TEXT NOT NULL
);
)sql",
};

constexpr size_t kStoredSamples = 10;  // per source, newest kept
// A stored minute keeps its 32 heaviest entries per top-N table (hours and days keep all 128):
// a query over hours of minutes merges hundreds of them, and minutes are most of the rows.
constexpr size_t kMinuteTopEntries = 32;
constexpr size_t kMaxInflatedBytes = 64 << 20;

// Aggregates are stored deflated (zlib): the top-N tables' keys are text and shrink by half.
std::string Deflate(const std::string& raw) {
  uLongf size = compressBound(static_cast<uLong>(raw.size()));
  std::string out(size, '\0');
  if (compress2(reinterpret_cast<Bytef*>(out.data()), &size, reinterpret_cast<const Bytef*>(raw.data()),
                static_cast<uLong>(raw.size()), 1) != Z_OK) {
    return raw;  // stored as it is; Inflate recognises CBOR by its first byte
  }
  out.resize(size);
  return out;
}

// A zlib stream (first byte 0x78) is inflated; anything else is taken as plain CBOR (an aggregate
// is a CBOR map, whose first byte is never 0x78).
Status Inflate(std::string_view stored, std::string* out) {
  if (stored.empty() || static_cast<unsigned char>(stored[0]) != 0x78) {
    out->assign(stored);
    return Status::Ok();
  }
  z_stream z{};
  if (inflateInit(&z) != Z_OK) return Status::Internal("zlib inflateInit failed");
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(stored.data()));
  z.avail_in = static_cast<uInt>(stored.size());
  out->clear();
  char buf[64 * 1024];
  int rc = Z_OK;
  while (rc == Z_OK) {
    z.next_out = reinterpret_cast<Bytef*>(buf);
    z.avail_out = sizeof buf;
    rc = inflate(&z, Z_NO_FLUSH);
    out->append(buf, sizeof buf - z.avail_out);
    if (out->size() > kMaxInflatedBytes) rc = Z_MEM_ERROR;
  }
  inflateEnd(&z);
  if (rc != Z_STREAM_END) return Status::Corruption("a stored log aggregate is not a complete zlib stream");
  return Status::Ok();
}

Status DecodeRow(std::string_view stored, Aggregate* out) {
  std::string cbor;
  CSOC_RETURN_IF_ERROR(Inflate(stored, &cbor));
  return Aggregate::Deserialize(cbor, out);
}
constexpr std::array<Resolution, 3> kResolutions = {Resolution::kMinute, Resolution::kHour, Resolution::kDay};

nlohmann::json SampleJson(const ErrorSample& s) {
  return {{"kind", static_cast<int>(s.kind)}, {"source", s.source}, {"line", s.line}, {"text", s.text}};
}

class SqliteLogStore final : public LogStore {
 public:
  Status Open(const std::filesystem::path& path) {
    CSOC_RETURN_IF_ERROR(store::sqlite::OpenConnection(path, &db_));
    return store::sqlite::MigrateArea(&db_, "logs", kMigrations);
  }

  Status Commit(const CommitBatch& batch) override {
    // Merge the deltas per stored row first, so each row is read and written once.
    std::map<std::tuple<int64_t, std::string, int64_t>, Aggregate> rows;
    for (const MinuteDelta& d : batch.deltas) {
      for (const Resolution r : kResolutions) {
        const auto res = static_cast<int64_t>(r);
        rows[{res, d.environment, d.minute_ms - d.minute_ms % res}].Merge(d.delta);
      }
    }
    Transaction tx(&db_);
    CSOC_RETURN_IF_ERROR(tx.BeginWrite("committing log aggregates"));
    CSOC_RETURN_IF_ERROR(Prepared(&select_, "SELECT data FROM logs_aggregates WHERE resolution=?1 AND environment=?2 AND bucket_ms=?3"));
    CSOC_RETURN_IF_ERROR(Prepared(&upsert_, "INSERT INTO logs_aggregates(resolution, environment, bucket_ms, data) VALUES(?1, ?2, ?3, ?4) "
                                            "ON CONFLICT(resolution, environment, bucket_ms) DO UPDATE SET data=excluded.data"));
    for (auto& [key, delta] : rows) {
      const auto& [res, env, bucket] = key;
      Aggregate merged;
      {
        ScopedReset reset(&select_);
        select_.Bind(1, res);
        select_.BindText(2, env);
        select_.Bind(3, bucket);
        bool row = false;
        CSOC_RETURN_IF_ERROR(db_.Step(select_, &row, "reading a log aggregate"));
        if (row) {
          const Status s = DecodeRow(select_.Blob(0), &merged);
          if (!s.ok()) return Status::Corruption("logs_aggregates " + env + "@" + std::to_string(bucket) + ": " + s.message());
        }
      }
      merged.Merge(delta);
      if (res == static_cast<int64_t>(Resolution::kMinute)) merged.TrimTopTables(kMinuteTopEntries);
      const std::string data = Deflate(merged.Serialize());
      ScopedReset reset(&upsert_);
      upsert_.Bind(1, res);
      upsert_.BindText(2, env);
      upsert_.Bind(3, bucket);
      upsert_.BindBlob(4, data);
      CSOC_RETURN_IF_ERROR(db_.StepDone(upsert_, "writing a log aggregate"));
    }
    CSOC_RETURN_IF_ERROR(Prepared(&position_, "INSERT INTO logs_positions(source, file_id, byte_offset, line) VALUES(?1, ?2, ?3, ?4) "
                                              "ON CONFLICT(source) DO UPDATE SET file_id=excluded.file_id, "
                                              "byte_offset=excluded.byte_offset, line=excluded.line"));
    for (const SourcePosition& p : batch.positions) {
      ScopedReset reset(&position_);
      position_.BindText(1, p.source);
      position_.BindText(2, p.file_id);
      position_.Bind(3, static_cast<int64_t>(p.offset));
      position_.Bind(4, static_cast<int64_t>(p.line));
      CSOC_RETURN_IF_ERROR(db_.StepDone(position_, "recording a log source's position"));
    }
    std::map<std::string, std::pair<const ErrorLog*, uint64_t>> per_source;
    for (const SourceErrorsDelta& e : batch.errors) per_source[e.source].first = &e.errors;
    for (const auto& [source, n] : batch.lines) per_source[source].second += n;
    for (const auto& [source, delta] : per_source) CSOC_RETURN_IF_ERROR(AddErrors(source, delta.first, delta.second));
    return tx.Commit("committing log aggregates");
  }

  Status LoadPositions(std::vector<SourcePosition>* out) override {
    Stmt stmt;
    CSOC_RETURN_IF_ERROR(db_.Prepare("SELECT source, file_id, byte_offset, line FROM logs_positions ORDER BY source", &stmt));
    out->clear();
    for (bool row = false;;) {
      CSOC_RETURN_IF_ERROR(db_.Step(stmt, &row, "reading log source positions"));
      if (!row) break;
      out->push_back({std::string(stmt.Text(0)), std::string(stmt.Text(1)), static_cast<uint64_t>(stmt.Int(2)),
                      static_cast<uint64_t>(stmt.Int(3))});
    }
    return Status::Ok();
  }

  Status LoadAggregates(const std::vector<std::string>& environments, Resolution resolution, int64_t from_ms,
                        int64_t to_ms, std::vector<StoredAggregate>* out) override {
    Stmt stmt;
    CSOC_RETURN_IF_ERROR(db_.Prepare("SELECT environment, bucket_ms, data FROM logs_aggregates WHERE resolution=?1 AND "
                                     "bucket_ms>=?2 AND bucket_ms<?3 ORDER BY bucket_ms, environment",
                                     &stmt));
    stmt.Bind(1, static_cast<int64_t>(resolution));
    stmt.Bind(2, from_ms);
    stmt.Bind(3, to_ms);
    out->clear();
    for (bool row = false;;) {
      CSOC_RETURN_IF_ERROR(db_.Step(stmt, &row, "reading log aggregates"));
      if (!row) break;
      const std::string_view env = stmt.Text(0);
      if (!environments.empty() && std::find(environments.begin(), environments.end(), env) == environments.end()) continue;
      StoredAggregate a;
      a.environment = std::string(env);
      a.bucket_ms = stmt.Int(1);
      const Status s = DecodeRow(stmt.Blob(2), &a.aggregate);
      if (!s.ok()) return Status::Corruption("logs_aggregates " + a.environment + "@" + std::to_string(a.bucket_ms) + ": " + s.message());
      out->push_back(std::move(a));
    }
    return Status::Ok();
  }

  Status LoadSourceErrors(std::vector<SourceErrors>* out) override {
    Stmt stmt;
    CSOC_RETURN_IF_ERROR(db_.Prepare("SELECT source, counts, lines, samples FROM logs_source_errors ORDER BY source", &stmt));
    out->clear();
    for (bool row = false;;) {
      CSOC_RETURN_IF_ERROR(db_.Step(stmt, &row, "reading log source errors"));
      if (!row) break;
      SourceErrors e;
      e.source = std::string(stmt.Text(0));
      e.lines = static_cast<uint64_t>(stmt.Int(2));
      try {
        const auto counts = nlohmann::json::parse(stmt.Text(1));
        for (size_t i = 0; i < e.counts.size() && i < counts.size(); ++i) e.counts[i] = counts[i].get<uint64_t>();
        for (const auto& s : nlohmann::json::parse(stmt.Text(3))) {
          const int kind = s.at("kind").get<int>();
          if (kind <= 0 || kind >= static_cast<int>(kParseErrorKinds)) continue;
          e.samples.push_back({static_cast<ParseError>(kind), s.at("source").get<std::string>(), s.at("line").get<uint64_t>(),
                               s.at("text").get<std::string>()});
        }
      } catch (const nlohmann::json::exception& ex) {
        return Status::Corruption("logs_source_errors " + e.source + ": " + ex.what());
      }
      out->push_back(std::move(e));
    }
    return Status::Ok();
  }

  Status Prune(int64_t minutes_before_ms, int64_t hours_before_ms) override {
    Stmt stmt;
    CSOC_RETURN_IF_ERROR(db_.Prepare("DELETE FROM logs_aggregates WHERE (resolution=?1 AND bucket_ms<?2) OR "
                                     "(resolution=?3 AND bucket_ms<?4)",
                                     &stmt));
    stmt.Bind(1, static_cast<int64_t>(Resolution::kMinute));
    stmt.Bind(2, minutes_before_ms);
    stmt.Bind(3, static_cast<int64_t>(Resolution::kHour));
    stmt.Bind(4, hours_before_ms);
    return db_.StepDone(stmt, "pruning old log aggregates");
  }

 private:
  Status Prepared(Stmt* stmt, std::string_view sql) {
    if (stmt->get() != nullptr) return Status::Ok();
    return db_.Prepare(sql, stmt);
  }

  Status AddErrors(const std::string& source, const ErrorLog* delta, uint64_t lines) {
    std::array<uint64_t, kParseErrorKinds> counts{};
    nlohmann::json samples = nlohmann::json::array();
    uint64_t stored_lines = 0;
    {
      Stmt read;
      CSOC_RETURN_IF_ERROR(db_.Prepare("SELECT counts, lines, samples FROM logs_source_errors WHERE source=?1", &read));
      read.BindText(1, source);
      bool row = false;
      CSOC_RETURN_IF_ERROR(db_.Step(read, &row, "reading log source errors"));
      if (row) {
        const auto stored = nlohmann::json::parse(read.Text(0), nullptr, false);
        if (stored.is_array()) {
          for (size_t i = 0; i < counts.size() && i < stored.size(); ++i) {
            if (stored[i].is_number_unsigned()) counts[i] = stored[i].get<uint64_t>();
          }
        }
        stored_lines = static_cast<uint64_t>(read.Int(1));
        samples = nlohmann::json::parse(read.Text(2), nullptr, false);
        if (!samples.is_array()) samples = nlohmann::json::array();
      }
    }
    if (delta != nullptr) {
      for (const ParseError k : kAllParseErrors) counts[static_cast<size_t>(k)] += delta->count(k);
      for (const ErrorSample& s : delta->samples()) samples.push_back(SampleJson(s));
      while (samples.size() > kStoredSamples) samples.erase(samples.begin());
    }
    Stmt write;
    CSOC_RETURN_IF_ERROR(db_.Prepare("INSERT INTO logs_source_errors(source, counts, lines, samples) VALUES(?1, ?2, ?3, ?4) "
                                     "ON CONFLICT(source) DO UPDATE SET counts=excluded.counts, lines=excluded.lines, "
                                     "samples=excluded.samples",
                                     &write));
    const std::string counts_text = nlohmann::json(counts).dump();
    const std::string samples_text = samples.dump();
    write.BindText(1, source);
    write.BindText(2, counts_text);
    write.Bind(3, static_cast<int64_t>(stored_lines + lines));
    write.BindText(4, samples_text);
    return db_.StepDone(write, "writing log source errors");
  }

  Db db_;
  Stmt select_, upsert_, position_;
};

}  // namespace

Status OpenSqliteLogStore(const std::filesystem::path& path, std::unique_ptr<LogStore>* out) {
  auto store = std::make_unique<SqliteLogStore>();
  CSOC_RETURN_IF_ERROR(store->Open(path));
  *out = std::move(store);
  return Status::Ok();
}

}  // namespace csoc::logs
