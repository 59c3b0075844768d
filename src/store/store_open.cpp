#include <string_view>

#include "core/error.h"
#include "core/json.h"
#include "store/pg_connection.h"
#include "store/store.h"

namespace kino::store {

bool store_url_is_postgres(const std::string& database_url) {
  const std::string_view u = database_url;
  return u.rfind("postgresql://", 0) == 0 || u.rfind("postgres://", 0) == 0;
}

std::string store_url_redacted(const std::string& database_url) {
  return pg_url_redacted(database_url);
}

std::unique_ptr<Store> store_open(const std::string& database_url,
                                  const std::filesystem::path& default_sqlite_file) {
  if (database_url.empty()) return sqlite_store_open(default_sqlite_file);
  if (store_url_is_postgres(database_url)) return pg_store_open(database_url);
  std::string_view path = database_url;
  if (path.rfind("sqlite://", 0) == 0) {
    path.remove_prefix(9);
  } else if (path.rfind("sqlite:", 0) == 0) {
    path.remove_prefix(7);
  } else if (path.find("://") != std::string_view::npos) {
    fail_bad_request("database URL must start with postgresql://, postgres:// or sqlite:, got " +
                     json_brief(store_url_redacted(database_url)));
  }
  if (path.empty())
    fail_bad_request("database URL " + json_brief(database_url) + " names no SQLite file");
  return sqlite_store_open(std::filesystem::path(path));
}

}  // namespace kino::store
