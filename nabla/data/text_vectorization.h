#pragma once
// Keras's TextVectorization (output_mode="int"): texts in, token ids out. adapt() learns a vocabulary from
// texts; calling it maps each text to ids, padded with 0 or cut to output_sequence_length:
//
//   data::TextVectorization vectorize({.max_tokens = 10000, .output_sequence_length = 32});
//   vectorize.adapt(train.texts);
//   Tensor ids = vectorize(train.texts);   // int64 [N, 32], for Embedding(vectorize.vocabulary_size(), ...)
//
// As in Keras: id 0 is padding (""), id 1 is out-of-vocabulary ("[UNK]"), then the tokens by descending
// frequency; max_tokens counts those two. "lower_and_strip_punctuation" lowercases and deletes Keras's
// punctuation set (all ASCII punctuation, the apostrophe included), then the text splits on whitespace runs.
// Differences: lowercasing is ASCII-only (other UTF-8 bytes are kept as they are, Keras lowercases Unicode),
// and equal counts keep the order in which the tokens first appeared.
// A string element of a pipeline (data::string_tensor) maps too: ds.map([&](Element e) { ... vectorize(e[0]) }).
#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "nabla/core/tensor.h"

namespace nabla::data {

struct TextVectorizationOptions {
  int64_t max_tokens = -1;              // the vocabulary's size with "" and "[UNK]"; -1: every token adapt sees
  int64_t output_sequence_length = -1;  // pad with 0 or cut to this; -1: the longest text of each call
  std::string standardize = "lower_and_strip_punctuation";  // or "lower", "strip_punctuation", "none"
};

class TextVectorization {
 public:
  explicit TextVectorization(TextVectorizationOptions opts = {});

  // Learns the vocabulary from texts (replacing any earlier one).
  void adapt(const std::vector<std::string>& texts);
  // Sets it directly: the tokens after "" and "[UNK]", most frequent first (Keras's set_vocabulary; more than
  // max_tokens allows is an error, where adapt keeps the most frequent).
  void set_vocabulary(const std::vector<std::string>& tokens);
  // "" and "[UNK]" first, then the tokens (Keras's get_vocabulary()).
  const std::vector<std::string>& get_vocabulary() const { return vocabulary_; }
  int64_t vocabulary_size() const { return int64_t(vocabulary_.size()); }

  // int64 [N, T]: T is output_sequence_length, or the longest text's token count (at least 1).
  Tensor operator()(const std::vector<std::string>& texts) const;
  // One text held in a string tensor (a pipeline element): int64 [T] (output_sequence_length must be set).
  Tensor operator()(const Tensor& text) const;

  // The tokens of one text after standardization and splitting.
  std::vector<std::string> tokenize(std::string_view text) const;

 private:
  std::vector<int64_t> ids(std::string_view text) const;
  TextVectorizationOptions opts_;
  std::vector<std::string> vocabulary_{"", "[UNK]"};
  std::unordered_map<std::string, int64_t> index_;
};

}  // namespace nabla::data
