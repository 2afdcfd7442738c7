#pragma once
// Sentiment Labelled Sentences (Kotzias et al., KDD 2015; the UCI Machine Learning Repository): 3,000 review
// sentences, 1,000 each from Amazon, IMDb and Yelp, half positive (1) and half negative (0). scripts/setup installs
// the three files (amazon.json, imdb.json, yelp.json: [{"text": ..., "class": 0|1}, ...]) from the npm package
// sentiment@5.0.2, which ships them as its test fixtures, into <data_dir()>/sentiment-sentences; nothing is
// downloaded at run time. The split is drawn like Keras's imdb.load_data: the sentences shuffled with a seed (113),
// then the last test_fraction of them are the test set.
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "nabla/core/tensor.h"

namespace nabla::datasets::sentiment_sentences {

struct TextSplit {
  std::vector<std::string> texts;
  Tensor labels;  // int64 [N]: 1 positive, 0 negative
};

struct TextData {
  TextSplit train, test;
};

TextData load_data(double test_fraction = 0.2, uint64_t seed = 113);
TextData load_data(const std::string& dir, double test_fraction = 0.2, uint64_t seed = 113);

// One file's sentences with their labels. `file` names the source in errors, which give the entry or the byte
// offset of what is wrong. A last entry with empty text and a null class (the npm package ends each file so) is
// skipped.
std::vector<std::pair<std::string, int64_t>> parse_sentences(std::string_view json, const std::string& file);

}  // namespace nabla::datasets::sentiment_sentences
