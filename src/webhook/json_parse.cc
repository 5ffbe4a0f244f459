#include "webhook/json_parse.h"

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <set>
#include <string>
#include <vector>

#include "idem/webhook_signature.h"

namespace idem::webhook {
namespace {

using Json = nlohmann::json;
using DomParser = nlohmann::detail::json_sax_dom_parser<Json>;

// Forwards every event to nlohmann's DOM builder, except that it bounds the
// nesting depth, refuses duplicate keys and keeps integers beyond 64 bits as
// their exact digits.
class BoundedSax {
 public:
  explicit BoundedSax(Json& root) : dom_(root, /*allow_exceptions=*/false) {}

  bool null() { return dom_.null(); }
  bool boolean(bool v) { return dom_.boolean(v); }
  bool number_integer(Json::number_integer_t v) { return dom_.number_integer(v); }
  bool number_unsigned(Json::number_unsigned_t v) { return dom_.number_unsigned(v); }
  bool number_float(Json::number_float_t v, const std::string& lexeme) {
    if (lexeme.find_first_of(".eE") == std::string::npos) {
      // An integer literal that did not fit 64 bits: keep its digits.
      Json::binary_t digits(std::vector<std::uint8_t>(lexeme.begin(), lexeme.end()));
      return dom_.binary(digits);
    }
    return dom_.number_float(v, lexeme);
  }
  bool string(std::string& v) { return dom_.string(v); }
  bool binary(Json::binary_t& v) { return dom_.binary(v); }
  bool start_object(std::size_t n) {
    if (!Enter()) return false;
    keys_.emplace_back();
    return dom_.start_object(n);
  }
  bool key(std::string& k) {
    // A duplicate key is refused: readers disagree on which one counts
    // (Python and nlohmann take the last, others the first), so a body
    // signed on its canonical form could mean something else to whoever
    // reads the stored raw bytes. Didit's serializer never repeats a key.
    if (!keys_.back().insert(k).second) {
      error_ = "duplicate JSON key \"" + k.substr(0, 64) + "\"";
      return false;
    }
    return dom_.key(k);
  }
  bool end_object() {
    --depth_;
    keys_.pop_back();
    return dom_.end_object();
  }
  bool start_array(std::size_t n) { return Enter() && dom_.start_array(n); }
  bool end_array() {
    --depth_;
    return dom_.end_array();
  }
  bool parse_error(std::size_t position, const std::string&, const nlohmann::detail::exception&) {
    error_ = "malformed JSON at byte " + std::to_string(position);
    return false;
  }

  const std::string& error() const { return error_; }

 private:
  bool Enter() {
    if (++depth_ > kMaxJsonDepth) {
      error_ = "JSON nested deeper than " + std::to_string(kMaxJsonDepth);
      return false;
    }
    return true;
  }

  DomParser dom_;
  std::size_t depth_ = 0;
  std::vector<std::set<std::string>> keys_;  // the keys of each open object
  std::string error_;
};

void AppendString(std::string& out, const std::string& s, bool ascii_escape) {
  // nlohmann escapes exactly like Python's json.dumps: \" \\ \b \f \n \r \t,
  // other control characters as lowercase \u00xx, and with ensure_ascii the
  // rest of non-ASCII as \uXXXX (surrogate pairs beyond the BMP).
  out += Json(s).dump(-1, ' ', ascii_escape);
}

void AppendFloat(std::string& out, double d) {
  if (std::trunc(d) == d) {
    // Integral: written as the exact integer, like Python's int(d).
    if (std::fabs(d) < 9.0e18) {
      out += std::to_string(static_cast<std::int64_t>(d));
    } else {
      char buf[400];
      std::snprintf(buf, sizeof buf, "%.0f", d);  // exact for doubles in glibc
      out += buf;
    }
    return;
  }
  out += Json(d).dump();  // shortest round-trip form, as Python's repr
}

void Append(std::string& out, const Json& v, bool ascii_escape) {
  switch (v.type()) {
    case Json::value_t::object: {
      // object_t is a std::map: iteration is already in sorted key order.
      out += '{';
      bool first = true;
      for (const auto& [key, child] : v.items()) {
        if (!first) out += ',';
        first = false;
        AppendString(out, key, ascii_escape);
        out += ':';
        Append(out, child, ascii_escape);
      }
      out += '}';
      return;
    }
    case Json::value_t::array: {
      out += '[';
      bool first = true;
      for (const auto& child : v) {
        if (!first) out += ',';
        first = false;
        Append(out, child, ascii_escape);
      }
      out += ']';
      return;
    }
    case Json::value_t::string:
      AppendString(out, v.get_ref<const std::string&>(), ascii_escape);
      return;
    case Json::value_t::number_float:
      AppendFloat(out, v.get<double>());
      return;
    case Json::value_t::binary: {
      const auto& digits = v.get_binary();
      out.append(digits.begin(), digits.end());
      return;
    }
    default:
      out += v.dump();  // null, true, false, integers
      return;
  }
}

}  // namespace

[[nodiscard]] Result<nlohmann::json> ParseJson(std::string_view text) {
  Json root;
  BoundedSax sax(root);
  bool ok = false;
  try {
    ok = Json::sax_parse(text.begin(), text.end(), &sax);
  } catch (const std::exception&) {
    ok = false;
  }
  if (!ok) {
    return MakeError(ErrorCode::kInvalidArgument,
                     sax.error().empty() ? "malformed JSON" : sax.error());
  }
  return root;
}

std::string Canonicalize(const nlohmann::json& value, bool ascii_escape) {
  std::string out;
  Append(out, value, ascii_escape);
  return out;
}

}  // namespace idem::webhook

namespace idem {

[[nodiscard]] Result<std::string> CanonicalJson(std::string_view json, bool ascii_escape) {
  auto parsed = webhook::ParseJson(json);
  if (!parsed) return tl::unexpected(parsed.error());
  return webhook::Canonicalize(*parsed, ascii_escape);
}

}  // namespace idem
