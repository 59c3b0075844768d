#include "core/json.h"

#include <cmath>
#include <fstream>
#include <sstream>

#include "core/error.h"

namespace kino {

namespace {

// Where text first nests deeper than kJsonMaxDepth; npos if nowhere. Checked before
// parsing, because deeply nested values overflow the stack when they are later copied,
// printed or destroyed.
size_t too_deep_at(std::string_view text) {
  int depth = 0;
  bool in_string = false;
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (in_string) {
      if (c == '\\')
        ++i;
      else if (c == '"')
        in_string = false;
    } else if (c == '"') {
      in_string = true;
    } else if (c == '{' || c == '[') {
      if (++depth > kJsonMaxDepth) return i;
    } else if (c == '}' || c == ']') {
      --depth;
    }
  }
  return std::string_view::npos;
}

}  // namespace

Json json_parse(std::string_view text, std::string_view what) {
  if (size_t at = too_deep_at(text); at != std::string_view::npos)
    fail_bad_request(std::string(what) + " must nest at most " + std::to_string(kJsonMaxDepth) +
                     " levels deep, got deeper at byte " + std::to_string(at));
  try {
    return Json::parse(text.begin(), text.end());
  } catch (const Json::parse_error& e) {
    fail_bad_request("malformed JSON in " + std::string(what) + " at byte " +
                     std::to_string(e.byte) + ": the text is not valid JSON");
  }
}

Json json_read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) fail_unsupported(path.string() + ": cannot read");
  std::stringstream ss;
  ss << in.rdbuf();
  return json_parse(ss.str(), path.string());
}

std::string json_brief(const Json& value) {
  std::string s = value.dump();
  if (s.size() > 60) s = s.substr(0, 57) + "...";
  return s;
}

std::string json_path(std::string_view parent, std::string_view key) {
  if (parent.empty()) return std::string(key);
  return std::string(parent) + "." + std::string(key);
}

std::string json_path(std::string_view parent, size_t index) {
  return std::string(parent) + "[" + std::to_string(index) + "]";
}

namespace {

const Json* find(const Json& obj, std::string_view key) {
  if (!obj.is_object()) return nullptr;
  auto it = obj.find(key);
  if (it == obj.end() || it->is_null()) return nullptr;
  return &*it;
}

[[noreturn]] void wrong_type(std::string_view path, const char* type, const Json& v) {
  fail_bad_request(std::string(path) + " must be " + type + ", got " + json_brief(v));
}

int64_t as_int(const Json& v, std::string_view path) {
  if (v.is_number_integer()) return v.get<int64_t>();
  if (v.is_number_float()) {
    double d = v.get<double>();
    // Whole numbers written as 3000.0 are accepted; fractions and huge values are not.
    if (std::isfinite(d) && d == std::floor(d) && std::fabs(d) < 9.0e15) return int64_t(d);
  }
  wrong_type(path, "an integer", v);
}

}  // namespace

int64_t json_int(const Json& obj, std::string_view key, std::string_view path, int64_t fallback) {
  const Json* v = find(obj, key);
  return v ? as_int(*v, json_path(path, key)) : fallback;
}

double json_number(const Json& obj, std::string_view key, std::string_view path, double fallback) {
  const Json* v = find(obj, key);
  if (!v) return fallback;
  if (!v->is_number()) wrong_type(json_path(path, key), "a number", *v);
  double d = v->get<double>();
  if (!std::isfinite(d)) wrong_type(json_path(path, key), "a finite number", *v);
  return d;
}

bool json_bool(const Json& obj, std::string_view key, std::string_view path, bool fallback) {
  const Json* v = find(obj, key);
  if (!v) return fallback;
  if (!v->is_boolean()) wrong_type(json_path(path, key), "true or false", *v);
  return v->get<bool>();
}

std::string json_string(const Json& obj, std::string_view key, std::string_view path,
                        std::string_view fallback) {
  const Json* v = find(obj, key);
  if (!v) return std::string(fallback);
  if (!v->is_string()) wrong_type(json_path(path, key), "a string", *v);
  return v->get<std::string>();
}

int64_t json_require_int(const Json& obj, std::string_view key, std::string_view path) {
  const Json* v = find(obj, key);
  if (!v) fail_bad_request(json_path(path, key) + " is required");
  return as_int(*v, json_path(path, key));
}

std::string json_require_string(const Json& obj, std::string_view key, std::string_view path) {
  const Json* v = find(obj, key);
  if (!v) fail_bad_request(json_path(path, key) + " is required");
  if (!v->is_string()) wrong_type(json_path(path, key), "a string", *v);
  return v->get<std::string>();
}

}  // namespace kino
