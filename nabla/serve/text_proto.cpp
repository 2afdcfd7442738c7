#include "nabla/serve/text_proto.h"

#include <cctype>

#include "nabla/core/error.h"

namespace nabla::serve {

namespace {

class Parser {
 public:
  Parser(std::string_view text, const std::string& source) : s_(text), source_(source) {}

  TextProtoMessage parse() {
    TextProtoMessage m = message(0, '\0');
    return m;
  }

 private:
  [[noreturn]] void fail(const std::string& what) const {
    throw ValueError(source_ + ":" + std::to_string(line_) + ": " + what);
  }

  void skip_space() {
    while (pos_ < s_.size()) {
      const char c = s_[pos_];
      if (c == '\n') {
        ++line_;
        ++pos_;
      } else if (std::isspace(static_cast<unsigned char>(c))) {
        ++pos_;
      } else if (c == '#') {
        while (pos_ < s_.size() && s_[pos_] != '\n') ++pos_;
      } else {
        break;
      }
    }
  }

  bool peek(char c) {
    skip_space();
    return pos_ < s_.size() && s_[pos_] == c;
  }

  std::string identifier() {
    skip_space();
    size_t start = pos_;
    while (pos_ < s_.size() && (std::isalnum(static_cast<unsigned char>(s_[pos_])) || s_[pos_] == '_' ||
                                s_[pos_] == '.'))
      ++pos_;
    if (start == pos_) {
      if (pos_ >= s_.size()) fail("unexpected end of file, expected a field name");
      fail(std::string("unexpected '") + s_[pos_] + "', expected a field name");
    }
    return std::string(s_.substr(start, pos_ - start));
  }

  std::string quoted_string() {
    std::string out;
    while (peek('"') || peek('\'')) {
      const char q = s_[pos_++];
      while (true) {
        if (pos_ >= s_.size() || s_[pos_] == '\n') fail("unterminated string");
        char c = s_[pos_++];
        if (c == q) break;
        if (c == '\\') {
          if (pos_ >= s_.size()) fail("unterminated string");
          c = s_[pos_++];
          switch (c) {
            case 'n': out += '\n'; break;
            case 't': out += '\t'; break;
            case 'r': out += '\r'; break;
            case '0': case '1': case '2': case '3': case '4': case '5': case '6': case '7': {
              int v = c - '0';
              for (int k = 0; k < 2 && pos_ < s_.size() && s_[pos_] >= '0' && s_[pos_] <= '7'; ++k)
                v = v * 8 + (s_[pos_++] - '0');
              out += char(v);
              break;
            }
            default: out += c;  // \\ \' \" and anything else as itself
          }
        } else {
          out += c;
        }
      }
    }
    return out;
  }

  void scalar(TextProtoField* f) {
    skip_space();
    if (pos_ >= s_.size()) fail("unexpected end of file, expected a value for '" + f->name + "'");
    if (s_[pos_] == '"' || s_[pos_] == '\'') {
      f->scalar = quoted_string();
      f->quoted = true;
      return;
    }
    size_t start = pos_;
    while (pos_ < s_.size() && (std::isalnum(static_cast<unsigned char>(s_[pos_])) || s_[pos_] == '-' ||
                                s_[pos_] == '+' || s_[pos_] == '.' || s_[pos_] == '_'))
      ++pos_;
    if (start == pos_) fail(std::string("unexpected '") + s_[pos_] + "', expected a value for '" + f->name + "'");
    f->scalar = std::string(s_.substr(start, pos_ - start));
  }

  TextProtoMessage message(int depth, char close) {
    if (depth > 32) fail("messages nested deeper than 32 levels");
    TextProtoMessage m;
    while (true) {
      skip_space();
      if (pos_ >= s_.size()) {
        if (close) fail(std::string("unexpected end of file, expected '") + close + "'");
        return m;
      }
      if (close && s_[pos_] == close) {
        ++pos_;
        return m;
      }
      TextProtoField f;
      f.line = line_;
      f.name = identifier();
      bool colon = false;
      if (peek(':')) {
        ++pos_;
        colon = true;
      }
      if (peek('{') || peek('<')) {
        const char open = s_[pos_++];
        f.is_message = true;
        f.message = std::make_shared<TextProtoMessage>(message(depth + 1, open == '{' ? '}' : '>'));
        m.fields.push_back(std::move(f));
      } else if (!colon) {
        fail("expected ':' or '{' after '" + f.name + "'");
      } else if (peek('[')) {
        ++pos_;
        if (peek(']')) {
          ++pos_;
        } else {
          while (true) {
            TextProtoField item = f;
            if (peek('{') || peek('<')) {
              const char open = s_[pos_++];
              item.is_message = true;
              item.message = std::make_shared<TextProtoMessage>(message(depth + 1, open == '{' ? '}' : '>'));
            } else {
              scalar(&item);
            }
            m.fields.push_back(std::move(item));
            if (peek(',')) {
              ++pos_;
              continue;
            }
            if (peek(']')) {
              ++pos_;
              break;
            }
            fail("expected ',' or ']' in the list of '" + f.name + "'");
          }
        }
      } else {
        scalar(&f);
        m.fields.push_back(std::move(f));
      }
      if (peek(';') || peek(',')) ++pos_;
    }
  }

  std::string_view s_;
  const std::string& source_;
  size_t pos_ = 0;
  int line_ = 1;
};

}  // namespace

TextProtoMessage parse_text_proto(std::string_view text, const std::string& source) {
  return Parser(text, source).parse();
}

}  // namespace nabla::serve
