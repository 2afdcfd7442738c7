#include "nabla/data/datasets/sentiment_sentences.h"

#include <filesystem>
#include <nlohmann/json.hpp>

#include "nabla/core/atomic_file.h"
#include "nabla/core/error.h"
#include "nabla/core/random.h"
#include "nabla/data/datasets/loaded_data.h"
#include "nabla/data/imbalance/labels.h"

namespace nabla::datasets::sentiment_sentences {

std::vector<std::pair<std::string, int64_t>> parse_sentences(std::string_view text, const std::string& file) {
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(text);
  } catch (const nlohmann::json::parse_error& e) {
    throw IOError(nabla::detail::concat("'", file, "': not JSON (at byte ", e.byte, "): ", e.what()));
  } catch (const nlohmann::json::exception& e) {  // a number out of range (found by sentiment_sentences_fuzz)
    throw IOError(nabla::detail::concat("'", file, "': unreadable JSON: ", e.what()));
  }
  if (!j.is_array()) throw IOError(nabla::detail::concat("'", file, "': expected a JSON array of sentences"));
  std::vector<std::pair<std::string, int64_t>> out;
  for (size_t i = 0; i < j.size(); ++i) {
    const nlohmann::json& e = j[i];
    auto bad = [&](const char* what) {
      return IOError(nabla::detail::concat("'", file, "': entry ", i, " ", what, " (expected {\"text\": string, ",
                                           "\"class\": 0 or 1})"));
    };
    if (!e.is_object() || !e.contains("text") || !e["text"].is_string() || !e.contains("class")) throw bad("malformed");
    const std::string& t = e["text"].get_ref<const std::string&>();
    if (e["class"].is_null() && t.empty() && i + 1 == j.size()) break;  // the package's empty last entry
    if (!e["class"].is_number_integer()) throw bad("has no integer class");
    const int64_t c = e["class"].get<int64_t>();
    if (c != 0 && c != 1) throw bad(nabla::detail::concat("has class ", c).c_str());
    out.emplace_back(t, c);
  }
  return out;
}

TextData load_data(const std::string& dir, double test_fraction, uint64_t seed) {
  NABLA_CHECK_VALUE(test_fraction >= 0 && test_fraction < 1, "sentiment_sentences::load_data: test_fraction ",
              test_fraction, "; expected [0, 1)");
  std::vector<std::pair<std::string, int64_t>> all;
  for (const char* name : {"amazon.json", "imdb.json", "yelp.json"}) {
    const std::string path = (std::filesystem::path(dir) / name).string();
    if (!std::filesystem::exists(path))
      throw IOError(nabla::detail::concat("sentiment_sentences dataset not found: no '", path, "'. Run scripts/setup ",
                                          "to install the datasets (into $NABLA_DATA, default ~/.nabla/datasets)"));
    for (auto& s : parse_sentences(read_file(path, "sentiment_sentences"), path)) all.push_back(std::move(s));
  }
  std::vector<int64_t> order(all.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = int64_t(i);
  Generator g(seed);
  data::shuffle_in_place(order, g);
  const size_t n_test = size_t(double(all.size()) * test_fraction + 0.5);
  TextData d;
  std::vector<int64_t> train_labels, test_labels;
  for (size_t k = 0; k < order.size(); ++k) {
    auto& [text, label] = all[size_t(order[k])];
    const bool test = k >= order.size() - n_test;
    (test ? d.test.texts : d.train.texts).push_back(std::move(text));
    (test ? test_labels : train_labels).push_back(label);
  }
  d.train.labels = Tensor::from_vector(train_labels);
  d.test.labels = Tensor::from_vector(test_labels);
  return d;
}

TextData load_data(double test_fraction, uint64_t seed) {
  return load_data(data_dir() + "/sentiment-sentences", test_fraction, seed);
}

}  // namespace nabla::datasets::sentiment_sentences
