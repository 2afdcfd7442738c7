#include "nabla/data/text_vectorization.h"

#include <filesystem>
#include <fstream>

#include "nabla/data/dataset.h"
#include "nabla/data/datasets/sentiment_sentences.h"
#include "nabla/data/element.h"
#include "test_util.h"

namespace nabla {
namespace {

using data::TextVectorization;
using Vocab = std::vector<std::string>;

TEST(TextVectorization, StandardizesAndSplitsAsKeras) {
  TextVectorization v;
  // Lowercased, ASCII punctuation deleted (the apostrophe too: Keras's strip regex), split on whitespace runs.
  EXPECT_EQ(v.tokenize("  Don't STOP, \"me\" now!!\tRight-now\n"), (Vocab{"dont", "stop", "me", "now", "rightnow"}));
  EXPECT_EQ(v.tokenize(""), Vocab{});
  EXPECT_EQ(v.tokenize("... !!"), Vocab{});
  EXPECT_EQ(TextVectorization({.standardize = "lower"}).tokenize("A,b C"), (Vocab{"a,b", "c"}));
  EXPECT_EQ(TextVectorization({.standardize = "none"}).tokenize("A,b C"), (Vocab{"A,b", "C"}));
  EXPECT_EQ(v.tokenize("Caf\xc3\xa9 ok"), (Vocab{"caf\xc3\xa9", "ok"}));  // other UTF-8 bytes kept
  EXPECT_THROW(TextVectorization({.standardize = "lower_and_strip"}), ValueError);
}

TEST(TextVectorization, VocabularyByFrequencyWithPaddingAndUnknownFirst) {
  TextVectorization v;
  v.adapt({"the cat sat", "the dog", "The cat!"});
  // the: 3, cat: 2, then sat and dog once each, in order of first appearance.
  EXPECT_EQ(v.get_vocabulary(), (Vocab{"", "[UNK]", "the", "cat", "sat", "dog"}));
  Tensor ids = v({"the dog sat", "a cat"});
  EXPECT_EQ(ids.shape(), Shape({2, 3}));  // the longest text; the shorter padded with 0
  EXPECT_EQ(ids.to_vector<int64_t>(), (std::vector<int64_t>{2, 5, 4, 1, 3, 0}));  // "a" is [UNK]

  TextVectorization capped({.max_tokens = 4, .output_sequence_length = 2});
  capped.adapt({"the cat sat", "the dog", "The cat!"});
  EXPECT_EQ(capped.get_vocabulary(), (Vocab{"", "[UNK]", "the", "cat"}));
  EXPECT_EQ(capped({"dog the cat", "cat"}).to_vector<int64_t>(), (std::vector<int64_t>{1, 2, 3, 0}));  // cut, padded
  EXPECT_THROW(capped.set_vocabulary({"a", "b", "c"}), ValueError);
  EXPECT_THROW(v.set_vocabulary({"a", "[UNK]"}), ValueError);
  EXPECT_THROW(v.set_vocabulary({"a", "a"}), ValueError);
}

TEST(TextVectorization, MapsStringElementsOfAPipeline) {
  TextVectorization v({.output_sequence_length = 4});
  v.set_vocabulary({"good", "bad"});
  auto ds = data::Dataset::from_tensors({data::string_tensor("Good, good movie")})
                .map([&](data::Element e) { return data::Element{v(e[0])}; });
  auto it = ds.make_iterator();
  auto e = it.next();
  ASSERT_TRUE(e);
  EXPECT_EQ((*e)[0].to_vector<int64_t>(), (std::vector<int64_t>{2, 2, 1, 0}));
  EXPECT_THROW(TextVectorization()(data::string_tensor("x")), ValueError);  // a length is needed
}

TEST(SentimentSentences, ParsesAndNamesWhatIsWrong) {
  auto s = datasets::sentiment_sentences::parse_sentences(
      R"([{"text": "Great!", "class": 1}, {"text": "Awful.", "class": 0}, {"text": "", "class": null}])", "f.json");
  ASSERT_EQ(s.size(), 2u);
  EXPECT_EQ(s[0], (std::pair<std::string, int64_t>{"Great!", 1}));
  auto refused = [](const std::string& json, const std::vector<std::string>& parts) {
    testing::expect_error_contains<IOError>([&] { datasets::sentiment_sentences::parse_sentences(json, "f.json"); },
                                            parts);
  };
  refused(R"([{"text": "a", "class": 1}, {"text": "b", "class": 2}])", {"'f.json': entry 1 has class 2"});
  refused(R"([{"text": "a", "class": 1}, {"text": "b"}])", {"entry 1 malformed"});
  refused(R"([{"text": "", "class": null}, {"text": "b", "class": 0}])",
          {"entry 0 has no integer class"});  // only a last empty entry is skipped
  refused(R"([{"text": "a", "cla)", {"'f.json': not JSON (at byte"});
  refused(R"({"text": "a"})", {"expected a JSON array"});
  refused(R"([{"text": "a", "class": 2222222222222222222e2222222222]})", {"'f.json': unreadable JSON"});  // fuzz
}

TEST(SentimentSentences, LoadsASeededSplitOfTheThreeFiles) {
  namespace fs = std::filesystem;
  const fs::path dir = fs::temp_directory_path() / "nabla_sentiment_test";
  fs::create_directories(dir);
  for (const char* name : {"amazon.json", "imdb.json", "yelp.json"}) {
    std::ofstream f(dir / name);
    f << "[";
    for (int i = 0; i < 10; ++i) f << (i ? "," : "") << R"({"text": ")" << name << " " << i << R"(", "class": )" << i % 2 << "}";
    f << R"(, {"text": "", "class": null}])";
  }
  auto d = datasets::sentiment_sentences::load_data(dir.string(), 0.2, 113);
  EXPECT_EQ(d.train.texts.size(), 24u);
  EXPECT_EQ(d.test.texts.size(), 6u);
  EXPECT_EQ(d.train.labels.shape(), Shape({24}));
  auto again = datasets::sentiment_sentences::load_data(dir.string(), 0.2, 113);
  EXPECT_EQ(again.test.texts, d.test.texts);  // the same seed, the same split
  auto other = datasets::sentiment_sentences::load_data(dir.string(), 0.2, 7);
  EXPECT_NE(other.test.texts, d.test.texts);
  // Labels stay with their sentences.
  auto labels = d.train.labels.to_vector<int64_t>();
  for (size_t i = 0; i < d.train.texts.size(); ++i)
    EXPECT_EQ(labels[i], int64_t(d.train.texts[i].back() - '0') % 2) << d.train.texts[i];
  fs::remove(dir / "imdb.json");
  EXPECT_THROW(datasets::sentiment_sentences::load_data(dir.string()), IOError);
  fs::remove_all(dir);
}

}  // namespace
}  // namespace nabla
