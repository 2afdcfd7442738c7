#include "nabla/data/text_vectorization.h"

#include <algorithm>

#include "nabla/core/error.h"
#include "nabla/data/element.h"

namespace nabla::data {
namespace {

bool is_ascii_space(unsigned char c) { return c == ' ' || (c >= '\t' && c <= '\r'); }
bool is_ascii_punct(unsigned char c) { return (c >= '!' && c <= '/') || (c >= ':' && c <= '@') ||
                                              (c >= '[' && c <= '`') || (c >= '{' && c <= '~'); }

}  // namespace

TextVectorization::TextVectorization(TextVectorizationOptions opts) : opts_(std::move(opts)) {
  const std::string& s = opts_.standardize;
  NABLA_CHECK_VALUE(s == "lower_and_strip_punctuation" || s == "lower" || s == "strip_punctuation" || s == "none",
              "TextVectorization: standardize '", s, "'; expected lower_and_strip_punctuation, lower, "
              "strip_punctuation or none");
  NABLA_CHECK_VALUE(opts_.max_tokens == -1 || opts_.max_tokens >= 3, "TextVectorization: max_tokens ", opts_.max_tokens,
              " leaves no room for a token after \"\" and \"[UNK]\" (give at least 3, or -1 for no limit)");
  NABLA_CHECK_VALUE(opts_.output_sequence_length == -1 || opts_.output_sequence_length >= 1,
              "TextVectorization: output_sequence_length ", opts_.output_sequence_length, "; expected >= 1 or -1");
}

std::vector<std::string> TextVectorization::tokenize(std::string_view text) const {
  const bool lower = opts_.standardize == "lower_and_strip_punctuation" || opts_.standardize == "lower";
  const bool strip = opts_.standardize == "lower_and_strip_punctuation" || opts_.standardize == "strip_punctuation";
  std::vector<std::string> tokens;
  std::string token;
  for (unsigned char c : text) {
    if (is_ascii_space(c)) {
      if (!token.empty()) tokens.push_back(std::move(token));
      token.clear();
      continue;
    }
    if (strip && is_ascii_punct(c)) continue;  // deleted, not a separator: "don't" -> "dont", as Keras
    token.push_back(lower && c >= 'A' && c <= 'Z' ? char(c - 'A' + 'a') : char(c));
  }
  if (!token.empty()) tokens.push_back(std::move(token));
  return tokens;
}

void TextVectorization::adapt(const std::vector<std::string>& texts) {
  std::unordered_map<std::string, std::pair<int64_t, int64_t>> seen;  // token -> (count, first appearance)
  int64_t order = 0;
  for (const std::string& text : texts)
    for (std::string& t : tokenize(text)) {
      auto [it, fresh] = seen.try_emplace(std::move(t), 0, order);
      if (fresh) ++order;
      ++it->second.first;
    }
  std::vector<std::pair<std::string, std::pair<int64_t, int64_t>>> ranked(seen.begin(), seen.end());
  std::sort(ranked.begin(), ranked.end(), [](const auto& a, const auto& b) {
    return a.second.first != b.second.first ? a.second.first > b.second.first : a.second.second < b.second.second;
  });
  std::vector<std::string> tokens;
  tokens.reserve(ranked.size());
  for (auto& [t, stats] : ranked) {
    if (opts_.max_tokens != -1 && int64_t(tokens.size()) + 2 >= opts_.max_tokens) break;  // the most frequent
    tokens.push_back(t);
  }
  set_vocabulary(tokens);
}

void TextVectorization::set_vocabulary(const std::vector<std::string>& tokens) {
  NABLA_CHECK_VALUE(opts_.max_tokens == -1 || int64_t(tokens.size()) + 2 <= opts_.max_tokens,
              "TextVectorization::set_vocabulary: ", tokens.size(), " tokens and \"\", \"[UNK]\" exceed max_tokens ",
              opts_.max_tokens);
  vocabulary_ = {"", "[UNK]"};
  index_.clear();
  for (const std::string& t : tokens) {
    NABLA_CHECK_VALUE(!t.empty() && t != "[UNK]", "TextVectorization::set_vocabulary: the token \"", t,
                "\" is reserved (id 0 is padding, id 1 out-of-vocabulary)");
    NABLA_CHECK_VALUE(index_.emplace(t, int64_t(vocabulary_.size())).second,
                "TextVectorization::set_vocabulary: the token \"", t, "\" appears twice");
    vocabulary_.push_back(t);
  }
}

std::vector<int64_t> TextVectorization::ids(std::string_view text) const {
  std::vector<int64_t> out;
  for (const std::string& t : tokenize(text)) {
    auto it = index_.find(t);
    out.push_back(it == index_.end() ? 1 : it->second);
  }
  return out;
}

Tensor TextVectorization::operator()(const std::vector<std::string>& texts) const {
  std::vector<std::vector<int64_t>> rows;
  rows.reserve(texts.size());
  int64_t longest = 1;
  for (const std::string& text : texts) {
    rows.push_back(ids(text));
    longest = std::max(longest, int64_t(rows.back().size()));
  }
  const int64_t len = opts_.output_sequence_length > 0 ? opts_.output_sequence_length : longest;
  std::vector<int64_t> flat(rows.size() * size_t(len), 0);
  for (size_t r = 0; r < rows.size(); ++r)
    std::copy_n(rows[r].begin(), std::min<int64_t>(len, int64_t(rows[r].size())), flat.begin() + int64_t(r) * len);
  return Tensor::from_vector(flat, Shape{int64_t(rows.size()), len});
}

Tensor TextVectorization::operator()(const Tensor& text) const {
  NABLA_CHECK_VALUE(opts_.output_sequence_length > 0, "TextVectorization: a single text (a pipeline element) needs "
              "output_sequence_length, so that every element has the same length");
  return (*this)(std::vector<std::string>{tensor_string(text)}).reshape({opts_.output_sequence_length});
}

}  // namespace nabla::data
