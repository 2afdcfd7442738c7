// datasets::sentiment_sentences::parse_sentences on arbitrary bytes, then data::TextVectorization adapted on the
// sentences it returned and applied to them: every id lies in [0, vocabulary size), a text's ids are its tokens'
// (no [UNK] for a token adapt saw), and nothing but a clean nabla::Error comes out.
#include "fuzz_util.h"
#include "nabla/data/datasets/sentiment_sentences.h"
#include "nabla/data/text_vectorization.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view json(reinterpret_cast<const char*>(data), size);
  nabla::fuzz::expect_clean([&] {
    auto sentences = nabla::datasets::sentiment_sentences::parse_sentences(json, "fuzz.json");
    std::vector<std::string> texts;
    for (auto& [text, label] : sentences) {
      if (label != 0 && label != 1) std::abort();
      texts.push_back(text);
    }
    nabla::data::TextVectorization v({.output_sequence_length = 16});
    v.adapt(texts);
    const nabla::Tensor ids = v(texts);
    if (ids.size(0) != int64_t(texts.size()) || ids.size(1) != 16) std::abort();
    for (int64_t id : ids.to_vector<int64_t>())
      if (id < 0 || id >= v.vocabulary_size() || id == 1) std::abort();  // every token was adapted: no [UNK]
  });
  return 0;
}
