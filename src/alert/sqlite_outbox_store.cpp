// The outbox's tables in csoc's SQLite database. All of the outbox's SQL is here.
#include <fmt/format.h>

#include <array>

#include "alert/notification_json.h"
#include "alert/outbox_store.h"
#include "store/sqlite_area.h"

namespace csoc::alert {
namespace {

using store::sqlite::Db;
using store::sqlite::ScopedReset;
using store::sqlite::Stmt;
using store::sqlite::Transaction;

// Append-only (see store/sqlite_area.h).
//
// `seq` is the enqueue order: it decides which entry of a group is older. The notification is
// kept whole as JSON (alert/notification_json.h); receiver and group_key are copied out of it for
// the per-group ordering rule. State names are stored as text so the table reads by itself.
// Conditions on the state are written as ORs of equalities, never `state IN (...)`: an IN list in
// a partial index's condition makes every UPDATE of the table build and free a temporary b-tree,
// which cost more than the rest of the write. The queries repeat each index's condition exactly,
// which is how SQLite knows the partial index applies.
constexpr std::array<std::string_view, 1> kMigrations = {
    R"sql(
CREATE TABLE alert_outbox(
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  id TEXT NOT NULL UNIQUE,
  receiver TEXT NOT NULL,
  group_key TEXT NOT NULL,
  state TEXT NOT NULL,
  attempts INTEGER NOT NULL,
  enqueued_ms INTEGER NOT NULL,
  next_attempt_ms INTEGER NOT NULL,
  lease_ms INTEGER NOT NULL,
  deadline_ms INTEGER NOT NULL,
  finished_ms INTEGER NOT NULL,
  reason TEXT NOT NULL,
  notification TEXT NOT NULL
);
CREATE INDEX alert_outbox_due ON alert_outbox((CASE state WHEN 'pending' THEN next_attempt_ms ELSE lease_ms END), seq)
  WHERE (state = 'pending' OR state = 'in_flight');
CREATE INDEX alert_outbox_group ON alert_outbox(receiver, group_key, seq)
  WHERE (state = 'pending' OR state = 'in_flight');
CREATE INDEX alert_outbox_finished ON alert_outbox(finished_ms)
  WHERE (state = 'delivered' OR state = 'failed' OR state = 'expired');
CREATE TABLE alert_outbox_attempts(
  outbox_seq INTEGER NOT NULL REFERENCES alert_outbox(seq) ON DELETE CASCADE,
  number INTEGER NOT NULL,
  at_ms INTEGER NOT NULL,
  duration_ms INTEGER NOT NULL,
  kind TEXT NOT NULL,
  http_status INTEGER NOT NULL,
  detail TEXT NOT NULL,
  PRIMARY KEY(outbox_seq, number)
);
CREATE TABLE alert_outbox_alerts(
  fingerprint TEXT NOT NULL,
  outbox_seq INTEGER NOT NULL REFERENCES alert_outbox(seq) ON DELETE CASCADE,
  PRIMARY KEY(fingerprint, outbox_seq)
) WITHOUT ROWID;
CREATE INDEX alert_outbox_alerts_seq ON alert_outbox_alerts(outbox_seq);
)sql",
};

// When an unfinished entry is due: its next attempt while pending, the end of its lease while in
// flight (its worker died if it still holds it then). Written exactly as in alert_outbox_due, so
// that claims walk that index in order and stop at the limit.
constexpr std::string_view kDue = "(CASE o.state WHEN 'pending' THEN o.next_attempt_ms ELSE o.lease_ms END)";

constexpr std::string_view kEntryColumns =
    "o.seq, o.id, o.state, o.attempts, o.enqueued_ms, o.next_attempt_ms, o.lease_ms, o.deadline_ms, "
    "o.finished_ms, o.reason, o.notification";

Status StateFromName(std::string_view name, OutboxState* out) {
  for (OutboxState s : {OutboxState::kPending, OutboxState::kInFlight, OutboxState::kDelivered, OutboxState::kFailed,
                        OutboxState::kExpired}) {
    if (OutboxStateName(s) == name) {
      *out = s;
      return Status::Ok();
    }
  }
  return Status::Corruption(fmt::format("outbox entry in unknown state \"{}\"", name));
}

Status KindFromName(std::string_view name, DeliveryResult::Kind* out) {
  for (auto k : {DeliveryResult::Kind::kDelivered, DeliveryResult::Kind::kRetry, DeliveryResult::Kind::kGiveUp}) {
    if (DeliveryKindName(k) == name) {
      *out = k;
      return Status::Ok();
    }
  }
  return Status::Corruption(fmt::format("outbox attempt of unknown kind \"{}\"", name));
}

// Reads kEntryColumns; *seq gets the row's seq for loading its log.
Status ReadEntry(const Stmt& s, OutboxEntry* e, int64_t* seq) {
  *seq = s.Int(0);
  Status parsed = NotificationFromText(s.Text(10), &e->notification);
  if (!parsed.ok()) {
    return Status::Corruption(fmt::format("outbox entry {}: {}", s.Text(1), parsed.message()));
  }
  CSOC_RETURN_IF_ERROR(StateFromName(s.Text(2), &e->state));
  e->attempts = static_cast<int>(s.Int(3));
  e->enqueued_at = FromUnixMillis(s.Int(4));
  e->next_attempt_at = FromUnixMillis(s.Int(5));
  e->lease_until = FromUnixMillis(s.Int(6));
  e->deadline = FromUnixMillis(s.Int(7));
  e->finished_at = FromUnixMillis(s.Int(8));
  e->reason = std::string(s.Text(9));
  return Status::Ok();
}

class SqliteOutboxStore : public OutboxStore {
 public:
  Status Init(const std::filesystem::path& path) {
    CSOC_STORE_RETURN_IF_ERROR(store::sqlite::OpenConnection(path, &db_));
    CSOC_STORE_RETURN_IF_ERROR(store::sqlite::MigrateArea(&db_, "alert_outbox", kMigrations));
    // An entry is held back while an older one of its group (same receiver and group_key) is not
    // final; the partial index alert_outbox_group makes this a short lookup.
    const std::string not_held_back =
        "NOT EXISTS (SELECT 1 FROM alert_outbox p WHERE p.receiver = o.receiver AND p.group_key = o.group_key "
        "AND p.seq < o.seq AND (p.state = 'pending' OR p.state = 'in_flight'))";
    // (An in-flight entry is never held back: it was claimed when everything older in its group
    // was final, and final is for good; so one condition serves both states.)
    const std::string claim_sql = fmt::format(
        "SELECT {0} FROM alert_outbox o WHERE (o.state = 'pending' OR o.state = 'in_flight') AND {1} <= ?1 AND {2} "
        "ORDER BY {1}, o.seq LIMIT ?2",
        kEntryColumns, kDue, not_held_back);
    const std::string next_due_sql = fmt::format(
        "SELECT {0} FROM alert_outbox o WHERE (o.state = 'pending' OR o.state = 'in_flight') AND {1} ORDER BY {0}, o.seq LIMIT 1",
        kDue, not_held_back);
    const std::string find_sql = fmt::format("SELECT {} FROM alert_outbox o WHERE o.id = ?1", kEntryColumns);
    const std::string for_alert_sql = fmt::format(
        "SELECT {} FROM alert_outbox_alerts a JOIN alert_outbox o ON o.seq = a.outbox_seq WHERE a.fingerprint = ?1 "
        "ORDER BY o.seq DESC LIMIT ?2",
        kEntryColumns);
    struct {
      Stmt* stmt;
      std::string_view sql;
    } statements[] = {
        {&insert_,
         "INSERT INTO alert_outbox(id, receiver, group_key, state, attempts, enqueued_ms, next_attempt_ms, lease_ms, "
         "deadline_ms, finished_ms, reason, notification) VALUES(?1, ?2, ?3, 'pending', 0, ?4, ?4, 0, ?5, 0, '', ?6) "
         "ON CONFLICT(id) DO NOTHING"},
        {&insert_alert_, "INSERT OR IGNORE INTO alert_outbox_alerts(fingerprint, outbox_seq) VALUES(?1, ?2)"},
        {&claim_select_, claim_sql},
        {&claim_update_, "UPDATE alert_outbox SET state = 'in_flight', lease_ms = ?2 WHERE seq = ?1"},
        {&next_due_, next_due_sql},
        {&record_,
         "UPDATE alert_outbox SET state = ?2, attempts = attempts + ?3, next_attempt_ms = ?4, lease_ms = 0, "
         "finished_ms = ?5, reason = ?6 WHERE id = ?1"},
        {&record_attempt_,
         "INSERT INTO alert_outbox_attempts(outbox_seq, number, at_ms, duration_ms, kind, http_status, detail) "
         "SELECT seq, attempts, ?2, ?3, ?4, ?5, ?6 FROM alert_outbox WHERE id = ?1"},
        {&release_,
         "UPDATE alert_outbox SET state = 'pending', next_attempt_ms = ?1, lease_ms = 0 WHERE state = 'in_flight'"},
        {&find_, find_sql},
        {&for_alert_, for_alert_sql},
        {&log_,
         "SELECT number, at_ms, duration_ms, kind, http_status, detail FROM alert_outbox_attempts WHERE outbox_seq = "
         "?1 ORDER BY number"},
        {&counts_, "SELECT state, count(*) FROM alert_outbox GROUP BY state"},
        {&prune_,
         "DELETE FROM alert_outbox WHERE (state = 'delivered' OR state = 'failed' OR state = 'expired') AND finished_ms < ?1"},
    };
    for (auto& s : statements) CSOC_STORE_RETURN_IF_ERROR(db_.Prepare(s.sql, s.stmt));
    return Status::Ok();
  }

  Status Enqueue(const Notification& n, TimePoint now, TimePoint deadline, bool* inserted) override {
    *inserted = false;
    const std::string text = NotificationToText(n);
    Transaction tx(&db_);
    CSOC_STORE_RETURN_IF_ERROR(tx.BeginWrite("enqueuing a notification"));
    {
      ScopedReset reset(&insert_);
      insert_.BindText(1, n.id);
      insert_.BindText(2, n.receiver);
      insert_.BindText(3, n.group_key);
      insert_.Bind(4, ToUnixMillis(now));
      insert_.Bind(5, ToUnixMillis(deadline));
      insert_.BindText(6, text);
      CSOC_STORE_RETURN_IF_ERROR(db_.StepDone(insert_, "enqueuing a notification"));
    }
    if (sqlite3_changes(db_.get()) == 0) return Status::Ok();  // the id is known: nothing to do
    const int64_t seq = sqlite3_last_insert_rowid(db_.get());
    for (const auto* alerts : {&n.alerts, &n.inhibited}) {
      for (const Alert& a : *alerts) {
        const std::string fingerprint = FingerprintHex(Fingerprint(a.labels));
        ScopedReset reset(&insert_alert_);
        insert_alert_.BindText(1, fingerprint);
        insert_alert_.Bind(2, seq);
        CSOC_STORE_RETURN_IF_ERROR(db_.StepDone(insert_alert_, "indexing a notification's alerts"));
      }
    }
    CSOC_STORE_RETURN_IF_ERROR(tx.Commit("enqueuing a notification"));
    *inserted = true;
    return Status::Ok();
  }

  Status ClaimDue(TimePoint now, TimePoint lease_until, size_t limit, std::vector<OutboxEntry>* out) override {
    out->clear();
    std::vector<OutboxEntry> claimed;
    std::vector<int64_t> seqs;
    Transaction tx(&db_);
    CSOC_STORE_RETURN_IF_ERROR(tx.BeginWrite("claiming due notifications"));
    {
      ScopedReset reset(&claim_select_);
      claim_select_.Bind(1, ToUnixMillis(now));
      claim_select_.Bind(2, static_cast<int64_t>(limit));
      for (;;) {
        bool row = false;
        CSOC_STORE_RETURN_IF_ERROR(db_.Step(claim_select_, &row, "claiming due notifications"));
        if (!row) break;
        OutboxEntry e;
        int64_t seq = 0;
        CSOC_RETURN_IF_ERROR(ReadEntry(claim_select_, &e, &seq));
        e.state = OutboxState::kInFlight;
        e.lease_until = lease_until;
        claimed.push_back(std::move(e));
        seqs.push_back(seq);
      }
    }
    for (int64_t seq : seqs) {
      ScopedReset reset(&claim_update_);
      claim_update_.Bind(1, seq);
      claim_update_.Bind(2, ToUnixMillis(lease_until));
      CSOC_STORE_RETURN_IF_ERROR(db_.StepDone(claim_update_, "claiming due notifications"));
    }
    CSOC_STORE_RETURN_IF_ERROR(tx.Commit("claiming due notifications"));
    *out = std::move(claimed);
    return Status::Ok();
  }

  Status NextDue(std::optional<TimePoint>* out) override {
    out->reset();
    ScopedReset reset(&next_due_);
    bool row = false;
    CSOC_STORE_RETURN_IF_ERROR(db_.Step(next_due_, &row, "finding the next due notification"));
    if (row && !next_due_.IsNull(0)) *out = FromUnixMillis(next_due_.Int(0));
    return Status::Ok();
  }

  Status Record(const std::string& id, const std::optional<DeliveryAttempt>& attempt,
                const Outcome& outcome) override {
    Transaction tx(&db_);
    CSOC_STORE_RETURN_IF_ERROR(tx.BeginWrite("recording a delivery attempt"));
    {
      ScopedReset reset(&record_);
      record_.BindText(1, id);
      record_.BindText(2, OutboxStateName(outcome.state));
      record_.Bind(3, attempt ? 1 : 0);
      record_.Bind(4, ToUnixMillis(outcome.next_attempt_at));
      record_.Bind(5, IsFinal(outcome.state) ? ToUnixMillis(outcome.at) : 0);
      record_.BindText(6, outcome.reason);
      CSOC_STORE_RETURN_IF_ERROR(db_.StepDone(record_, "recording a delivery attempt"));
    }
    if (sqlite3_changes(db_.get()) == 0) return Status::NotFound(fmt::format("no outbox entry {}", id));
    if (attempt) {
      ScopedReset reset(&record_attempt_);
      record_attempt_.BindText(1, id);
      record_attempt_.Bind(2, ToUnixMillis(attempt->at));
      record_attempt_.Bind(3, attempt->duration.count());
      record_attempt_.BindText(4, DeliveryKindName(attempt->kind));
      record_attempt_.Bind(5, attempt->http_status);
      record_attempt_.BindText(6, attempt->detail);
      CSOC_STORE_RETURN_IF_ERROR(db_.StepDone(record_attempt_, "recording a delivery attempt"));
    }
    return tx.Commit("recording a delivery attempt");
  }

  Status ReleaseInFlight(TimePoint now, int64_t* released) override {
    *released = 0;
    ScopedReset reset(&release_);
    release_.Bind(1, ToUnixMillis(now));
    CSOC_STORE_RETURN_IF_ERROR(db_.StepDone(release_, "releasing in-flight notifications"));
    *released = sqlite3_changes(db_.get());
    return Status::Ok();
  }

  Status Find(const std::string& id, OutboxEntry* out) override {
    Transaction tx(&db_);
    CSOC_STORE_RETURN_IF_ERROR(tx.BeginRead("reading an outbox entry"));
    std::vector<OutboxEntry> found;
    {
      ScopedReset reset(&find_);
      find_.BindText(1, id);
      CSOC_RETURN_IF_ERROR(ReadEntries(find_, &found));
    }
    if (found.empty()) return Status::NotFound(fmt::format("no outbox entry {}", id));
    CSOC_STORE_RETURN_IF_ERROR(tx.Commit("reading an outbox entry"));
    *out = std::move(found.front());
    return Status::Ok();
  }

  Status ListForAlert(uint64_t fingerprint, size_t limit, std::vector<OutboxEntry>* out) override {
    out->clear();
    const std::string hex = FingerprintHex(fingerprint);
    Transaction tx(&db_);
    CSOC_STORE_RETURN_IF_ERROR(tx.BeginRead("reading an alert's delivery log"));
    std::vector<OutboxEntry> found;
    {
      ScopedReset reset(&for_alert_);
      for_alert_.BindText(1, hex);
      for_alert_.Bind(2, static_cast<int64_t>(limit));
      CSOC_RETURN_IF_ERROR(ReadEntries(for_alert_, &found));
    }
    CSOC_STORE_RETURN_IF_ERROR(tx.Commit("reading an alert's delivery log"));
    *out = std::move(found);
    return Status::Ok();
  }

  Status Counts(OutboxCounts* out) override {
    *out = OutboxCounts{};
    ScopedReset reset(&counts_);
    for (;;) {
      bool row = false;
      CSOC_STORE_RETURN_IF_ERROR(db_.Step(counts_, &row, "counting outbox entries"));
      if (!row) return Status::Ok();
      OutboxState state;
      CSOC_RETURN_IF_ERROR(StateFromName(counts_.Text(0), &state));
      const int64_t n = counts_.Int(1);
      switch (state) {
        case OutboxState::kPending:
          out->pending = n;
          break;
        case OutboxState::kInFlight:
          out->in_flight = n;
          break;
        case OutboxState::kDelivered:
          out->delivered = n;
          break;
        case OutboxState::kFailed:
          out->failed = n;
          break;
        case OutboxState::kExpired:
          out->expired = n;
          break;
      }
    }
  }

  Status Prune(TimePoint cutoff, int64_t* removed) override {
    *removed = 0;
    ScopedReset reset(&prune_);
    prune_.Bind(1, ToUnixMillis(cutoff));
    // One statement: the attempts and the alert index go with their entry (ON DELETE CASCADE).
    CSOC_STORE_RETURN_IF_ERROR(db_.StepDone(prune_, "pruning the outbox"));
    *removed = sqlite3_changes(db_.get());
    return Status::Ok();
  }

 private:
  // Reads every row of `stmt` (kEntryColumns) and each entry's log. Called inside a read
  // transaction so the entries and their logs are one snapshot.
  Status ReadEntries(Stmt& stmt, std::vector<OutboxEntry>* out) {
    std::vector<int64_t> seqs;
    for (;;) {
      bool row = false;
      CSOC_STORE_RETURN_IF_ERROR(db_.Step(stmt, &row, "reading outbox entries"));
      if (!row) break;
      OutboxEntry e;
      int64_t seq = 0;
      CSOC_RETURN_IF_ERROR(ReadEntry(stmt, &e, &seq));
      out->push_back(std::move(e));
      seqs.push_back(seq);
    }
    for (size_t i = 0; i < seqs.size(); ++i) {
      ScopedReset reset(&log_);
      log_.Bind(1, seqs[i]);
      for (;;) {
        bool row = false;
        CSOC_STORE_RETURN_IF_ERROR(db_.Step(log_, &row, "reading a delivery log"));
        if (!row) break;
        DeliveryAttempt a;
        a.number = static_cast<int>(log_.Int(0));
        a.at = FromUnixMillis(log_.Int(1));
        a.duration = Millis(log_.Int(2));
        CSOC_RETURN_IF_ERROR(KindFromName(log_.Text(3), &a.kind));
        a.http_status = static_cast<int>(log_.Int(4));
        a.detail = std::string(log_.Text(5));
        (*out)[i].log.push_back(std::move(a));
      }
    }
    return Status::Ok();
  }

  Db db_;
  Stmt insert_, insert_alert_, claim_select_, claim_update_, next_due_, record_, record_attempt_, release_, find_,
      for_alert_, log_, counts_, prune_;
};

}  // namespace

Status OpenSqliteOutboxStore(const std::filesystem::path& path, std::unique_ptr<OutboxStore>* out) {
  auto store = std::make_unique<SqliteOutboxStore>();
  CSOC_STORE_RETURN_IF_ERROR(store->Init(path));
  *out = std::move(store);
  return Status::Ok();
}

}  // namespace csoc::alert
