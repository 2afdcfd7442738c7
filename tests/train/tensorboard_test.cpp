// callbacks::TensorBoard's file format: CRC32C against RFC 3720's vectors, TFRecord framing and its corruption
// checks, and the events a short fit writes (decoded with the same protobuf classes). TensorBoard itself reads
// them back in tests/train/tensorboard (EventAccumulator and the HTTP server).
#include <filesystem>
#include <fstream>
#include <set>

#include "nabla/core/atomic_file.h"
#include "nabla/train/callbacks/tensorboard_event.pb.h"
#include "nabla/train/callbacks/tensorboard_record.h"
#include "test_util.h"

namespace nabla {
namespace {

namespace fs = std::filesystem;

TEST(TensorBoardRecord, Crc32cMatchesRfc3720Vectors) {
  EXPECT_EQ(tensorboard::crc32c(std::string(32, '\0')), 0x8A9136AAu);
  EXPECT_EQ(tensorboard::crc32c(std::string(32, '\xff')), 0x62A8AB43u);
  std::string inc(32, '\0');
  for (int i = 0; i < 32; ++i) inc[size_t(i)] = char(i);
  EXPECT_EQ(tensorboard::crc32c(inc), 0x46DD794Eu);
  EXPECT_EQ(tensorboard::crc32c("123456789"), 0xE3069283u);
  for (uint32_t c : {0u, 1u, 0xE3069283u, 0xffffffffu}) EXPECT_EQ(tensorboard::unmask_crc(tensorboard::mask_crc(c)), c);
  EXPECT_NE(tensorboard::mask_crc(0xE3069283u), 0xE3069283u);
}

TEST(TensorBoardRecord, FramingRoundTripsAndCorruptionIsNamed) {
  const std::string dir = testing::temp_dir();
  const std::string path = dir + "/r.tfrecord";
  {
    std::ofstream f(path, std::ios::binary);
    f << tensorboard::tfrecord("hello") << tensorboard::tfrecord("") << tensorboard::tfrecord(std::string(1000, 'x'));
  }
  auto recs = tensorboard::read_tfrecords(path);
  ASSERT_EQ(recs.size(), 3u);
  EXPECT_EQ(recs[0], "hello");
  EXPECT_EQ(recs[1], "");
  EXPECT_EQ(recs[2], std::string(1000, 'x'));
  EXPECT_EQ(tensorboard::tfrecord("hello").size(), 5u + 16u);
  std::string bytes = read_file(path, "test");
  std::string bad = bytes;
  bad[21 + 16 + 12 + 3] ^= 1;  // a data byte of the third record
  write_file_atomic(path, bad, "test");
  testing::expect_error_contains([&] { tensorboard::read_tfrecords(path); },
                                 {path, "record 2", "offset 37", "data CRC mismatch"});
  bad = bytes;
  bad[21 + 2] ^= 1;  // the second record's length
  write_file_atomic(path, bad, "test");
  testing::expect_error_contains([&] { tensorboard::read_tfrecords(path); }, {"record 1", "length CRC mismatch"});
  write_file_atomic(path, bytes.substr(0, bytes.size() - 2), "test");
  testing::expect_error_contains([&] { tensorboard::read_tfrecords(path); }, {"record 2", "truncated"});
}

TEST(TensorBoardCallback, UpdateFreqTakesKerasValues) {
  EXPECT_EQ(callbacks::UpdateFreq("epoch").steps, 0);
  EXPECT_EQ(callbacks::UpdateFreq("batch").steps, 1);
  EXPECT_EQ(callbacks::UpdateFreq(7).steps, 7);
  testing::expect_error_contains([] { callbacks::UpdateFreq("step"); }, {"update_freq", "\"step\""});
  testing::expect_error_contains([] { callbacks::UpdateFreq(0); }, {"update_freq", "0"});
}

// The events of the single event file in dir.
std::vector<tensorboard::Event> events_in(const std::string& dir) {
  std::vector<fs::path> files;
  for (const auto& e : fs::directory_iterator(dir)) files.push_back(e.path());
  EXPECT_EQ(files.size(), 1u) << dir;
  EXPECT_EQ(files.at(0).filename().string().rfind("events.out.tfevents.", 0), 0u);
  std::vector<tensorboard::Event> out;
  for (const std::string& r : tensorboard::read_tfrecords(files.at(0).string())) {
    tensorboard::Event e;
    EXPECT_TRUE(e.ParseFromString(r));
    out.push_back(e);
  }
  return out;
}

TEST(TensorBoardCallback, WritesKerasTagsPerEpochAndEveryNBatches) {
  manual_seed(3);
  Sequential model({layers::Dense(4, "relu", {.input_shape = {3}}), layers::Dense(2, "softmax")});
  model.compile(std::make_shared<optim::SGD>(0.1), "sparse_categorical_crossentropy", {"accuracy"});
  Tensor x = Tensor::uniform({40, 3}, -1, 1);
  Tensor y = Tensor::zeros({40}, DType::i64);
  const std::string dir = testing::temp_dir() + "/logs";
  auto tb = std::make_shared<callbacks::TensorBoard>(dir, callbacks::TensorBoardOptions{.histogram_freq = 2,
                                                                                         .update_freq = 3});
  // 40 rows, batch 8 (10 validation rows): 4 steps per epoch, 3 epochs -> global batches 1..12.
  History h = model.fit(x, y, {.epochs = 3, .batch_size = 8, .verbose = 0, .callbacks = {tb}, .validation_split = 0.2});
  auto train = events_in(dir + "/train");
  auto val = events_in(dir + "/validation");
  ASSERT_FALSE(train.empty());
  EXPECT_EQ(train[0].file_version(), "brain.Event:2");
  std::map<std::string, std::vector<std::pair<int64_t, float>>> scalars;
  std::multiset<std::string> histos;
  int graphs = 0;
  for (const auto& e : train) {
    if (e.has_graph_def()) {
      tensorboard::GraphDef g;
      ASSERT_TRUE(g.ParseFromString(e.graph_def()));
      ASSERT_EQ(g.node_size(), 3);  // InputLayer and the two Dense layers
      EXPECT_EQ(g.node(0).op(), "InputLayer");
      EXPECT_EQ(g.node(2).op(), "Dense");
      ASSERT_EQ(g.node(2).input_size(), 1);
      EXPECT_EQ(g.node(2).input(0), g.node(1).name());
      EXPECT_EQ(g.node(2).name(), model.layers()[1]->name());
      ++graphs;
    }
    for (const auto& v : e.summary().value()) {
      if (v.has_histo()) {
        histos.insert(v.tag() + "@" + std::to_string(e.step()));
        EXPECT_GT(v.histo().num(), 0);
        double n = 0;
        for (double b : v.histo().bucket()) n += b;
        EXPECT_EQ(n, v.histo().num()) << v.tag();
      } else if (v.value_case() == tensorboard::Summary::Value::kSimpleValue) {
        scalars[v.tag()].emplace_back(e.step(), v.simple_value());
      }
    }
  }
  EXPECT_EQ(graphs, 1);
  ASSERT_EQ(scalars["epoch_loss"].size(), 3u);
  for (int ep = 0; ep < 3; ++ep) {
    EXPECT_EQ(scalars["epoch_loss"][size_t(ep)].first, ep);
    EXPECT_FLOAT_EQ(scalars["epoch_loss"][size_t(ep)].second, float(h.history["loss"][size_t(ep)]));
    EXPECT_FLOAT_EQ(scalars["epoch_accuracy"][size_t(ep)].second, float(h.history["accuracy"][size_t(ep)]));
  }
  EXPECT_FLOAT_EQ(scalars["epoch_learning_rate"].at(0).second, 0.1f);
  ASSERT_EQ(scalars["batch_loss"].size(), 4u);  // global batches 3, 6, 9, 12
  for (size_t i = 0; i < 4; ++i) EXPECT_EQ(scalars["batch_loss"][i].first, int64_t(3 * (i + 1)));
  // histogram_freq 2: epochs 0 and 2, each weight of each layer.
  std::multiset<std::string> want;
  for (int ep : {0, 2})
    for (const auto& l : model.layers())
      for (const char* w : {"kernel", "bias"}) want.insert(l->name() + "/" + w + "/histogram@" + std::to_string(ep));
  EXPECT_EQ(histos, want);
  std::map<std::string, std::vector<float>> vals;
  for (const auto& e : val)
    for (const auto& v : e.summary().value()) vals[v.tag()].push_back(v.simple_value());
  ASSERT_EQ(vals["epoch_loss"].size(), 3u);
  EXPECT_FLOAT_EQ(vals["epoch_loss"][2], float(h.history["val_loss"][2]));
  EXPECT_EQ(vals["evaluation_accuracy_vs_iterations"].size(), 3u);
}

}  // namespace
}  // namespace nabla
