// Test helper: reads back the HTML reports idem writes (chaos, demo). Not a
// general HTML parser: enough for documents whose text is escaped (no raw
// '<' outside markup) and whose only raw-text element is <style>. It lists
// the tags with their attributes (values unescaped), checks that every
// element is closed in order, and finds elements by name and class.
#pragma once

#include <cctype>
#include <map>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

namespace idem::testing {

struct HtmlTag {
  std::string name;  // lowercase
  std::map<std::string, std::string> attrs;
  bool closing = false;       // </name>
  bool self_closing = false;  // <name ... />
  std::size_t offset = 0;     // of the '<'
  std::size_t end = 0;        // one past the '>'

  std::string Attr(const std::string& key) const {
    auto it = attrs.find(key);
    return it == attrs.end() ? std::string() : it->second;
  }
  bool HasClass(const std::string& cls) const {
    std::istringstream words(Attr("class"));
    for (std::string w; words >> w;) {
      if (w == cls) return true;
    }
    return false;
  }
};

// &amp; &lt; &gt; &quot; &#39; (what svg::Escape writes) back to text.
inline std::string HtmlUnescape(std::string_view s) {
  static const std::pair<std::string_view, char> kRefs[] = {
      {"&amp;", '&'}, {"&lt;", '<'}, {"&gt;", '>'}, {"&quot;", '"'}, {"&#39;", '\''}};
  std::string out;
  for (std::size_t i = 0; i < s.size();) {
    bool replaced = false;
    for (const auto& [ref, c] : kRefs) {
      if (s.substr(i, ref.size()) == ref) {
        out += c;
        i += ref.size();
        replaced = true;
        break;
      }
    }
    if (!replaced) out += s[i++];
  }
  return out;
}

// Every tag in document order; comments and <!DOCTYPE> are skipped, a
// <style>'s contents are skipped as raw text. nullopt with `error` set when
// a tag is cut or an attribute is malformed.
inline std::optional<std::vector<HtmlTag>> ScanHtml(std::string_view html, std::string* error) {
  std::vector<HtmlTag> tags;
  auto fail = [&](const std::string& why, std::size_t at) {
    if (error) *error = why + " at offset " + std::to_string(at);
    return std::nullopt;
  };
  std::size_t i = 0;
  while ((i = html.find('<', i)) != std::string_view::npos) {
    const std::size_t start = i;
    if (html.substr(i, 4) == "<!--") {
      const std::size_t close = html.find("-->", i);
      if (close == std::string_view::npos) return fail("unclosed comment", i);
      i = close + 3;
      continue;
    }
    if (html.substr(i, 2) == "<!") {
      const std::size_t close = html.find('>', i);
      if (close == std::string_view::npos) return fail("unclosed declaration", i);
      i = close + 1;
      continue;
    }
    HtmlTag tag;
    tag.offset = start;
    ++i;
    if (i < html.size() && html[i] == '/') {
      tag.closing = true;
      ++i;
    }
    while (i < html.size() &&
           (std::isalnum(static_cast<unsigned char>(html[i])) || html[i] == '-')) {
      tag.name += static_cast<char>(std::tolower(static_cast<unsigned char>(html[i++])));
    }
    if (tag.name.empty()) return fail("'<' that starts no tag (unescaped text?)", start);
    for (;;) {
      while (i < html.size() && std::isspace(static_cast<unsigned char>(html[i]))) ++i;
      if (i >= html.size()) return fail("cut tag", start);
      if (html[i] == '>') {
        ++i;
        break;
      }
      if (html.substr(i, 2) == "/>") {
        tag.self_closing = true;
        i += 2;
        break;
      }
      std::string key;
      while (i < html.size() && !std::isspace(static_cast<unsigned char>(html[i])) &&
             html[i] != '=' && html[i] != '>' && html[i] != '/' && html[i] != '"' &&
             html[i] != '\'' && html[i] != '<') {
        key += static_cast<char>(std::tolower(static_cast<unsigned char>(html[i++])));
      }
      if (key.empty()) return fail("malformed attribute in <" + tag.name + ">", i);
      std::string value;
      if (i < html.size() && html[i] == '=') {
        ++i;
        if (i >= html.size() || (html[i] != '"' && html[i] != '\'')) {
          return fail("unquoted value of " + key, i);
        }
        const char quote = html[i++];
        const std::size_t close = html.find(quote, i);
        if (close == std::string_view::npos) return fail("unclosed value of " + key, i);
        const std::string_view raw = html.substr(i, close - i);
        if (raw.find('<') != std::string_view::npos) return fail("'<' in value of " + key, i);
        value = HtmlUnescape(raw);
        i = close + 1;
      }
      if (tag.attrs.count(key)) return fail("attribute " + key + " twice", i);
      tag.attrs[key] = value;
    }
    tag.end = i;
    if (!tag.closing && tag.name == "style") {
      const std::size_t close = html.find("</style", i);
      if (close == std::string_view::npos) return fail("unclosed <style>", start);
      i = close;
    }
    tags.push_back(std::move(tag));
  }
  return tags;
}

// Every element closed, in order; void elements (meta, br, ...) and
// self-closed ones (<line/>) need no end tag. "" when so, else why not.
inline std::string CheckNesting(const std::vector<HtmlTag>& tags) {
  static const std::set<std::string> kVoid = {"meta",   "br",  "hr",  "img",  "link", "input",
                                              "source", "wbr", "col", "area", "base", "embed"};
  std::vector<std::string> open;
  for (const HtmlTag& t : tags) {
    if (t.closing) {
      if (open.empty() || open.back() != t.name) {
        return "</" + t.name + "> at " + std::to_string(t.offset) + " closes " +
               (open.empty() ? std::string("nothing") : "<" + open.back() + ">");
      }
      open.pop_back();
    } else if (!t.self_closing && !kVoid.count(t.name)) {
      open.push_back(t.name);
    }
  }
  return open.empty() ? "" : "<" + open.back() + "> never closed";
}

// Start tags named `name` (and having class `cls` when not empty).
inline std::vector<HtmlTag> FindTags(const std::vector<HtmlTag>& tags, const std::string& name,
                                     const std::string& cls = "") {
  std::vector<HtmlTag> found;
  for (const HtmlTag& t : tags) {
    if (!t.closing && t.name == name && (cls.empty() || t.HasClass(cls))) found.push_back(t);
  }
  return found;
}

// The tags inside the first element named `name` whose `attr` is `value`
// (the element's own start tag first, its end tag excluded); empty when none.
inline std::vector<HtmlTag> ElementTags(const std::vector<HtmlTag>& tags, const std::string& name,
                                        const std::string& attr, const std::string& value) {
  for (std::size_t i = 0; i < tags.size(); ++i) {
    if (tags[i].closing || tags[i].name != name || tags[i].Attr(attr) != value) continue;
    std::vector<HtmlTag> inside = {tags[i]};
    int depth = 1;
    for (std::size_t j = i + 1; j < tags.size() && depth > 0; ++j) {
      if (tags[j].name == name && !tags[j].self_closing) depth += tags[j].closing ? -1 : 1;
      if (depth > 0) inside.push_back(tags[j]);
    }
    return inside;
  }
  return {};
}

}  // namespace idem::testing
